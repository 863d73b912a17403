"""The use cases of a trial (shell): one function per thing a user does.

Each takes the :class:`Database`, the acting user (:class:`Actor`, from
:func:`authenticate`) and the :class:`~oncotrial.context.TrialContext` (with its forms), checks
role and site, runs in one transaction with the audit context set, and returns a typed result
or raises an error of :mod:`oncotrial.services.errors`. ``docs/data-model.md`` lists them.
"""

from oncotrial.services.access import PERMISSIONS, ROLES, Actor, Policy
from oncotrial.services.cohort import export_study, load_study
from oncotrial.services.database import Database
from oncotrial.services.entry import FormRejected, SavedForm, record_dosing, report_ae, save_form
from oncotrial.services.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    WorkflowError,
)
from oncotrial.services.export import (
    Casebook,
    CasebookForm,
    export_dataset,
    export_json,
    load_casebook,
)
from oncotrial.services.subjects import (
    Enrolment,
    SubjectSummary,
    close_out,
    enrol,
    list_subjects,
    record_visit,
    register_subject,
    screen_subject,
    withdraw,
)
from oncotrial.services.trial import load_trial
from oncotrial.services.users import (
    access_report,
    add_site,
    authenticate,
    change_password,
    create_user,
    grant_role,
    revoke_role,
    set_language,
)
from oncotrial.services.workflow import (
    Page,
    QueryView,
    SignatureView,
    answer_query,
    close_query,
    list_queries,
    lock_casebook,
    lock_database,
    lock_form,
    raise_query,
    sign,
    signatures,
    unlock_casebook,
    unlock_database,
    unlock_form,
    verify_items,
)

__all__ = [
    "PERMISSIONS",
    "ROLES",
    "Actor",
    "AuthenticationError",
    "Casebook",
    "CasebookForm",
    "ConflictError",
    "Database",
    "Enrolment",
    "FormRejected",
    "NotFoundError",
    "Page",
    "PermissionDenied",
    "Policy",
    "QueryView",
    "SavedForm",
    "SignatureView",
    "SubjectSummary",
    "WorkflowError",
    "access_report",
    "add_site",
    "answer_query",
    "authenticate",
    "change_password",
    "close_out",
    "close_query",
    "create_user",
    "enrol",
    "export_dataset",
    "export_json",
    "export_study",
    "grant_role",
    "list_queries",
    "list_subjects",
    "load_casebook",
    "load_study",
    "load_trial",
    "lock_casebook",
    "lock_database",
    "lock_form",
    "raise_query",
    "record_dosing",
    "record_visit",
    "register_subject",
    "report_ae",
    "revoke_role",
    "save_form",
    "screen_subject",
    "set_language",
    "sign",
    "signatures",
    "unlock_casebook",
    "unlock_database",
    "unlock_form",
    "verify_items",
    "withdraw",
]
