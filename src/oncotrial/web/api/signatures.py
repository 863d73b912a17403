"""Electronic signatures of a form or a whole casebook (21 CFR 11.50, 11.70, 11.200).

The signer re-enters the password every time; the first signing of a session also needs the
user name (11.200(a)(1)(i)). After a successful signing the session remembers it, so later
signings in the same session need the password only.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from oncotrial.services import sign, signatures
from oncotrial.web.api._common import PLAIN, SOME, Reader, SignatureOut, Writer, problems
from oncotrial.web.api.subjects import SubjectRef
from oncotrial.web.deps import COOKIE, state
from oncotrial.web.sessions import mark_signed

router = APIRouter(tags=["signatures"])


class SignIn(BaseModel):
    password: str = Field(min_length=1, max_length=200, description="Your password, again.")
    meaning: str = Field(min_length=1, max_length=200, pattern=SOME,
                         description="What the signature means, e.g. 'Investigator review "
                                     "and approval of the Cycle 3 data'.")
    form_instance_id: int | None = Field(default=None, ge=1, le=2**31 - 1,
                                         description="The form signed; null: the casebook.")
    username: str | None = Field(default=None, max_length=80, pattern=PLAIN,
                                 description="Needed at the first signing of a session.")


@router.post("/subjects/{ref}/signatures", status_code=201, response_model=SignatureOut,
             responses=problems(400, 404, 409))
def sign_(request: Request, info: Writer, ref: SubjectRef, body: SignIn) -> SignatureOut:
    """Sign a form or the casebook (investigators; the casebook: the principal
    investigator). A wrong password is 401 and counts toward lock-out."""
    web = state(request)
    view, _ = sign(web.db, info.actor, web.ctx, ref, password=body.password,
                   meaning=body.meaning, form_instance_id=body.form_instance_id,
                   username=body.username)
    mark_signed(web.db, request.cookies.get(COOKIE, ""))
    return SignatureOut.of(view)


@router.get("/subjects/{ref}/signatures", response_model=list[SignatureOut],
            responses=problems(404))
def list_(request: Request, info: Reader, ref: SubjectRef) -> list[SignatureOut]:
    """Every signature of the subject, valid and invalidated."""
    web = state(request)
    return [SignatureOut.of(s) for s in signatures(web.db, info.actor, web.ctx, ref)]
