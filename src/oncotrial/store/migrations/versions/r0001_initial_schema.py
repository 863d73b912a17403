"""Initial schema: sites, users and roles, subjects, visits, forms, item values, queries,
SDV, signatures, trial state, derived cache and the audit trail with its triggers.

Revision ID: 0001
Revises: (none)
Create Date: 2026-12-02 06:14:43.171505
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from oncotrial.store import audit

revision: str = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

#: Tables audited by triggers from this revision on.
AUDITED_AT_0001 = (
    "site",
    "app_user",
    "role_grant",
    "subject",
    "subject_identity",
    "visit",
    "form_instance",
    "item_value",
    "query",
    "sdv_mark",
    "signature",
    "trial_state",
)


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=80), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_key", sa.String(length=40), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("visit_ref", sa.String(length=40), nullable=False),
        sa.Column("form_ref", sa.String(length=60), nullable=False),
        sa.Column("item_ref", sa.String(length=140), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("software_version", sa.String(length=40), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_subject_ref_id", ["subject_ref", "id"], unique=False)

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("code", name=op.f("uq_site_code")),
    )
    op.create_table(
        "trial_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sa.String(length=40), nullable=False),
        sa.Column("database_locked", sa.Boolean(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=80), nullable=True),
        sa.Column("lock_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trial_state")),
        sa.UniqueConstraint("protocol_id", name=op.f("uq_trial_state_protocol_id")),
    )
    op.create_table(
        "role_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.String(length=80), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_role_grant_site_id_site")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_role_grant_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grant")),
    )
    op.create_table(
        "subject",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("screening_number", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=True),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("consented_on", sa.Date(), nullable=True),
        sa.Column("enrolled_on", sa.Date(), nullable=True),
        sa.Column("over_enrolment_reason", sa.Text(), nullable=True),
        sa.Column("casebook_locked", sa.Boolean(), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_subject_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject")),
        sa.UniqueConstraint("pseudonym", name=op.f("uq_subject_pseudonym")),
        sa.UniqueConstraint("screening_number", name=op.f("uq_subject_screening_number")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_subject_subject_id")),
    )
    op.create_table(
        "derived_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("software_version", sa.String(length=40), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subject.id"], name=op.f("fk_derived_cache_subject_pk_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_derived_cache")),
        sa.UniqueConstraint("subject_pk", "kind", name=op.f("uq_derived_cache_subject_pk_kind")),
    )
    op.create_table(
        "subject_identity",
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("initials", sa.String(length=10), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("hospital_number", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=60), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subject.id"], name=op.f("fk_subject_identity_subject_pk_subject")
        ),
        sa.PrimaryKeyConstraint("subject_pk", name=op.f("pk_subject_identity")),
    )
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("occurrence", sa.Integer(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("window_start_on", sa.Date(), nullable=True),
        sa.Column("window_end_on", sa.Date(), nullable=True),
        sa.Column("actual_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("visit_ref", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subject.id"], name=op.f("fk_visit_subject_pk_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit")),
        sa.UniqueConstraint(
            "subject_pk", "code", "occurrence", name=op.f("uq_visit_subject_pk_code_occurrence")
        ),
    )
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visit_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "form_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("visit_pk", sa.Integer(), nullable=True),
        sa.Column("form_id", sa.String(length=60), nullable=False),
        sa.Column("form_version", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("saved_by", sa.String(length=80), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("visit_ref", sa.String(length=40), nullable=False),
        sa.Column("form_ref", sa.String(length=60), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subject.id"], name=op.f("fk_form_instance_subject_pk_subject")
        ),
        sa.ForeignKeyConstraint(
            ["visit_pk"], ["visit.id"], name=op.f("fk_form_instance_visit_pk_visit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_form_instance")),
        sa.UniqueConstraint(
            "subject_pk",
            "visit_pk",
            "form_id",
            name=op.f("uq_form_instance_subject_pk_visit_pk_form_id"),
        ),
    )
    with op.batch_alter_table("form_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_form_instance_subject_pk"), ["subject_pk"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_form_instance_visit_pk"), ["visit_pk"], unique=False)

    op.create_table(
        "item_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_instance_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(length=60), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=30), nullable=False),
        sa.Column("lln", sa.Float(), nullable=True),
        sa.Column("uln", sa.Float(), nullable=True),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("visit_ref", sa.String(length=40), nullable=False),
        sa.Column("form_ref", sa.String(length=60), nullable=False),
        sa.Column("item_ref", sa.String(length=140), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_instance_id"],
            ["form_instance.id"],
            name=op.f("fk_item_value_form_instance_id_form_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_value")),
        sa.UniqueConstraint(
            "form_instance_id",
            "group_id",
            "row_no",
            "item_id",
            name=op.f("uq_item_value_form_instance_id_group_id_row_no_item_id"),
        ),
    )
    with op.batch_alter_table("item_value", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_item_value_form_instance_id"), ["form_instance_id"], unique=False
        )

    op.create_table(
        "query",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("form_instance_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(length=60), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=60), nullable=False),
        sa.Column("origin", sa.String(length=10), nullable=False),
        sa.Column("check_code", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(length=80), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=80), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("visit_ref", sa.String(length=40), nullable=False),
        sa.Column("form_ref", sa.String(length=60), nullable=False),
        sa.Column("item_ref", sa.String(length=140), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_instance_id"],
            ["form_instance.id"],
            name=op.f("fk_query_form_instance_id_form_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subject.id"], name=op.f("fk_query_subject_pk_subject")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_query")),
    )
    with op.batch_alter_table("query", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_query_form_instance_id"), ["form_instance_id"], unique=False
        )
        batch_op.create_index("ix_query_status_id", ["status", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_query_subject_pk"), ["subject_pk"], unique=False)

    op.create_table(
        "sdv_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_instance_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.String(length=60), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=60), nullable=False),
        sa.Column("value_hash", sa.String(length=64), nullable=False),
        sa.Column("verified_by", sa.String(length=80), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("visit_ref", sa.String(length=40), nullable=False),
        sa.Column("form_ref", sa.String(length=60), nullable=False),
        sa.Column("item_ref", sa.String(length=140), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_instance_id"],
            ["form_instance.id"],
            name=op.f("fk_sdv_mark_form_instance_id_form_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sdv_mark")),
        sa.UniqueConstraint(
            "form_instance_id",
            "group_id",
            "row_no",
            "item_id",
            name=op.f("uq_sdv_mark_form_instance_id_group_id_row_no_item_id"),
        ),
    )
    with op.batch_alter_table("sdv_mark", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sdv_mark_form_instance_id"), ["form_instance_id"], unique=False
        )

    op.create_table(
        "signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_pk", sa.Integer(), nullable=False),
        sa.Column("form_instance_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("printed_name", sa.String(length=200), nullable=False),
        sa.Column("meaning", sa.String(length=200), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("invalidated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invalidated_reason", sa.Text(), nullable=True),
        sa.Column("subject_ref", sa.String(length=40), nullable=False),
        sa.Column("visit_ref", sa.String(length=40), nullable=False),
        sa.Column("form_ref", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["form_instance_id"],
            ["form_instance.id"],
            name=op.f("fk_signature_form_instance_id_form_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_pk"], ["subject.id"], name=op.f("fk_signature_subject_pk_subject")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_signature_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature")),
    )
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signature_subject_pk"), ["subject_pk"], unique=False)

    audit.install(op.get_bind(), AUDITED_AT_0001)


def downgrade() -> None:
    with op.batch_alter_table("signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signature_subject_pk"))

    op.drop_table("signature")
    with op.batch_alter_table("sdv_mark", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sdv_mark_form_instance_id"))

    op.drop_table("sdv_mark")
    with op.batch_alter_table("query", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_query_subject_pk"))
        batch_op.drop_index("ix_query_status_id")
        batch_op.drop_index(batch_op.f("ix_query_form_instance_id"))

    op.drop_table("query")
    with op.batch_alter_table("item_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_value_form_instance_id"))

    op.drop_table("item_value")
    with op.batch_alter_table("form_instance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_instance_visit_pk"))
        batch_op.drop_index(batch_op.f("ix_form_instance_subject_pk"))

    op.drop_table("form_instance")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visit_subject_pk"))

    op.drop_table("visit")
    op.drop_table("subject_identity")
    op.drop_table("derived_cache")
    op.drop_table("subject")
    op.drop_table("role_grant")
    op.drop_table("trial_state")
    op.drop_table("site")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_subject_ref_id")

    op.drop_table("audit_log")
    op.drop_table("app_user")
