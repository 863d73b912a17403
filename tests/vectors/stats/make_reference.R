# Reference values for oncotrial.stats from R's survival package.
#
# Run from the repository root:   Rscript tests/vectors/stats/make_reference.R
# Writes tests/vectors/stats/r_<dataset>.json, one file per bundled dataset (aml, lung, veteran,
# ovarian from library(survival)). Each file holds the data as analysed AND the expected
# outputs, and every expected block carries the exact R call that produced it plus the R and
# survival versions. R is not a project dependency; the JSON files are committed so the tests
# run without R. Regenerate only on purpose and review the diff.

suppressPackageStartupMessages(library(survival))

# ---- a tiny JSON writer (jsonlite is not assumed to be installed) ---------------------------
scalar <- function(x) structure(x, class = "json_scalar")
fmt_num <- function(x) {
  out <- formatC(x, digits = 17, format = "g")
  out[is.na(x)] <- "null"          # NA and NaN
  out[is.infinite(x) & x > 0] <- "\"Infinity\""
  out[is.infinite(x) & x < 0] <- "\"-Infinity\""
  gsub(" ", "", out)
}
quote_str <- function(s) paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", s)), "\"")
tojson <- function(x, indent = "") {
  inner <- paste0(indent, "  ")
  if (is.null(x)) return("null")
  if (inherits(x, "json_scalar")) {
    v <- unclass(x)
    if (is.character(v)) return(quote_str(v))
    if (is.logical(v)) return(if (is.na(v)) "null" else tolower(as.character(v)))
    return(fmt_num(as.numeric(v)))
  }
  if (is.list(x)) {
    if (!is.null(names(x))) {
      parts <- vapply(names(x), function(k) paste0(inner, quote_str(k), ": ",
                                                  tojson(x[[k]], inner)), "")
      return(paste0("{\n", paste(parts, collapse = ",\n"), "\n", indent, "}"))
    }
    parts <- vapply(x, function(v) paste0(inner, tojson(v, inner)), "")
    return(paste0("[\n", paste(parts, collapse = ",\n"), "\n", indent, "]"))
  }
  if (is.factor(x)) x <- as.character(x)
  if (is.character(x)) return(paste0("[", paste(quote_str(x), collapse = ", "), "]"))
  if (is.logical(x)) x <- as.numeric(x)
  paste0("[", paste(fmt_num(as.numeric(x)), collapse = ", "), "]")
}

versions <- list(r_version = scalar(R.version.string),
                 survival_version = scalar(as.character(packageVersion("survival"))))

# ---- one Kaplan-Meier curve: table, quantiles, print(), landmarks, restricted mean ---------
km_block <- function(data_name, data, subset_label, subset_expr, conf_type, landmarks, taus) {
  sub <- if (is.null(subset_expr)) "" else paste0(", subset = ", subset_expr)
  call <- sprintf("survfit(Surv(time, event) ~ 1, data = %s%s, conf.type = \"%s\")",
                  data_name, sub, conf_type)
  rows <- if (is.null(subset_expr)) rep(TRUE, nrow(data)) else eval(parse(text = subset_expr), data)
  d <- data[rows, ]
  fit <- survfit(Surv(time, event) ~ 1, data = d, conf.type = conf_type)
  s <- summary(fit, censored = TRUE)
  probs <- c(0.1, 0.25, 0.5, 0.75, 0.9)
  q <- quantile(fit, probs = probs)
  pt <- summary(fit)$table
  lm <- summary(fit, times = landmarks)
  rm <- lapply(taus, function(tau) {
    tab <- summary(fit, rmean = tau)$table
    list(call = scalar(sprintf("summary(fit, rmean = %s)$table[c(\"rmean\", \"se(rmean)\")]",
                               format(tau))),
         tau = scalar(tau), rmean = scalar(tab[["rmean"]]), se = scalar(tab[["se(rmean)"]]))
  })
  list(
    label = scalar(subset_label),
    subset = if (is.null(subset_expr)) NULL else scalar(subset_expr),
    conf_type = scalar(conf_type),
    call = scalar(call),
    table = list(
      call = scalar("summary(fit, censored = TRUE); std_err is summary()$std.err (SE of S(t))"),
      time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor,
      survival = fit$surv, se_log_survival = fit$std.err, std_err = fit$surv * fit$std.err,
      lower = fit$lower, upper = fit$upper),
    quantiles = list(call = scalar("quantile(fit, probs = c(0.1, 0.25, 0.5, 0.75, 0.9))"),
                     probs = probs, time = unname(q$quantile), lower = unname(q$lower),
                     upper = unname(q$upper)),
    print = list(call = scalar("summary(fit)$table[c(\"median\", \"0.95LCL\", \"0.95UCL\")] (as print(fit))"),
                 median = scalar(pt[["median"]]), lower = scalar(pt[["0.95LCL"]]),
                 upper = scalar(pt[["0.95UCL"]])),
    landmarks = list(call = scalar(sprintf("summary(fit, times = c(%s))",
                                           paste(landmarks, collapse = ", "))),
                     time = lm$time, n_risk = lm$n.risk, survival = lm$surv,
                     std_err = lm$std.err, lower = lm$lower, upper = lm$upper),
    restricted_mean = rm
  )
}

reverse_block <- function(data_name, data) {
  call <- sprintf("survfit(Surv(time, 1 - event) ~ 1, data = %s, conf.type = \"log-log\")",
                  data_name)
  fit <- survfit(Surv(time, 1 - event) ~ 1, data = data, conf.type = "log-log")
  q <- quantile(fit, probs = 0.5)
  list(call = scalar(paste0("quantile(", call, ", probs = 0.5)")),
       median = scalar(unname(q$quantile)), lower = scalar(unname(q$lower)),
       upper = scalar(unname(q$upper)))
}

logrank_block <- function(data_name, data, formula_text) {
  f <- as.formula(formula_text)
  sd <- survdiff(f, data = data)
  if (is.matrix(sd$obs)) {
    obs <- rowSums(sd$obs); expct <- rowSums(sd$exp)
  } else {
    obs <- sd$obs; expct <- sd$exp
  }
  df <- sum(expct > 0) - 1  # as survdiff itself, from the per-group totals
  list(call = scalar(sprintf("survdiff(%s, data = %s)", formula_text, data_name)),
       groups = sub(".*=", "", names(sd$n)),
       n = as.numeric(sd$n), observed = as.numeric(obs), expected = as.numeric(expct),
       variance = lapply(seq_len(nrow(sd$var)), function(i) as.numeric(sd$var[i, ])),
       chisq = scalar(sd$chisq), df = scalar(df),
       p_value = scalar(pchisq(sd$chisq, df, lower.tail = FALSE)))
}

write_dataset <- function(name, data, prep_note, groups, group_col, strata_col, landmarks, taus,
                          logrank_formulas) {
  kms <- list()
  for (ct in c("log-log", "log", "plain")) {
    kms[[length(kms) + 1]] <- km_block(name, data, "all", NULL, ct, landmarks, taus)
    for (g in groups) {
      expr <- sprintf("%s == \"%s\"", group_col, g)
      lm_g <- landmarks[landmarks <= max(data$time[data[[group_col]] == g])]
      kms[[length(kms) + 1]] <- km_block(name, data, g, expr, ct, lm_g, taus[1])
    }
  }
  out <- c(versions, list(
    dataset = scalar(name),
    preparation = scalar(prep_note),
    data = list(time = data$time, event = data$event, group = as.character(data[[group_col]]),
                strata = if (is.null(strata_col)) NULL else as.character(data[[strata_col]])),
    kaplan_meier = kms,
    reverse_km = reverse_block(name, data),
    log_rank = lapply(logrank_formulas, function(f) logrank_block(name, data, f))
  ))
  path <- file.path("tests", "vectors", "stats", paste0("r_", name, ".json"))
  writeLines(tojson(out), path)
  cat("wrote", path, "\n")
}

# ---- aml: 23 patients, weeks; group x (Maintained / Nonmaintained) --------------------------
aml_d <- data.frame(time = aml$time, event = aml$status, group = as.character(aml$x))
write_dataset("aml", aml_d, "aml from library(survival): time, event = status, group = x",
              c("Maintained", "Nonmaintained"), "group", NULL,
              landmarks = c(5, 10, 20, 24, 30, 45), taus = c(100, 200),
              logrank_formulas = c("Surv(time, event) ~ group"))

# ---- lung: 228 patients, days; event = status == 2; group sex; strata ph.ecog (NA dropped) --
lung_d <- lung[!is.na(lung$ph.ecog), ]
lung_d <- data.frame(time = lung_d$time, event = as.numeric(lung_d$status == 2),
                     group = ifelse(lung_d$sex == 1, "male", "female"),
                     strata = as.character(lung_d$ph.ecog))
write_dataset("lung", lung_d,
              paste("lung from library(survival), the one row with missing ph.ecog dropped:",
                    "event = status == 2, group = sex (1 male, 2 female), strata = ph.ecog"),
              c("male", "female"), "group", "strata",
              landmarks = c(90, 180, 365, 730), taus = c(365, 730),
              logrank_formulas = c("Surv(time, event) ~ group",
                                   "Surv(time, event) ~ group + strata(strata)",
                                   "Surv(time, event) ~ strata"))

# ---- veteran: 137 patients, days; group trt; strata celltype --------------------------------
vet_d <- data.frame(time = veteran$time, event = veteran$status,
                    group = ifelse(veteran$trt == 1, "standard", "test"),
                    strata = as.character(veteran$celltype))
write_dataset("veteran", vet_d,
              "veteran from library(survival): event = status, group = trt, strata = celltype",
              c("standard", "test"), "group", "strata",
              landmarks = c(30, 90, 180, 365), taus = c(365, 1000),
              logrank_formulas = c("Surv(time, event) ~ group",
                                   "Surv(time, event) ~ group + strata(strata)",
                                   "Surv(time, event) ~ strata"))

# ---- ovarian: 26 patients, days; group rx; strata resid.ds ---------------------------------
ov_d <- data.frame(time = ovarian$futime, event = ovarian$fustat,
                   group = paste0("rx", ovarian$rx), strata = paste0("resid", ovarian$resid.ds))
write_dataset("ovarian", ov_d,
              "ovarian from library(survival): time = futime, event = fustat, group = rx, strata = resid.ds",
              c("rx1", "rx2"), "group", "strata",
              landmarks = c(180, 365, 730), taus = c(730, 1200),
              logrank_formulas = c("Surv(time, event) ~ group",
                                   "Surv(time, event) ~ group + strata(strata)"))
