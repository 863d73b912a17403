"""oncotrial codes: the catalogue on the command line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from oncotrial.cli import build_app, main


def test_codes_lists_every_pattern() -> None:
    result = CliRunner().invoke(build_app(), ["codes"])
    out = result.output
    assert result.exit_code == 0
    assert "dose.start\t" in out and "{criterion}.not_met.hbv_hcv_coinfection\t" in out


def test_codes_explains_one_code() -> None:
    result = CliRunner().invoke(build_app(), ["codes", "I11.not_met.anc_below_min"])
    out = result.output
    assert out.startswith("I11.not_met.anc_below_min: ") and "(eligibility" in out


def test_an_unknown_code_exits_2_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["codes", "dose.teleport"])
    assert exc.value.code == 2
    assert "oncotrial codes" in capsys.readouterr().err
