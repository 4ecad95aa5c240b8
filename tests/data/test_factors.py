"""The monthly factor source: French's published file and the mirror copy, cached and checked.

No network: the published file is faked in its exact shape (preamble, monthly section, annual
section, copyright line, CRLF line ends, inside a zip) and served through a file:// address or a
fake fetch; pandas-datareader's own famafrench parser reads the same fake as a cross-check.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.config.settings import DataSettings
from engine.data.factor_source import (
    CACHE_FILE,
    MIRROR_FILE,
    download,
    factor_levels,
    factor_market_data,
    load_factors,
)
from engine.data.factors import DATASET, month_gaps, parse_mirror, parse_published
from engine.errors import DataQualityError, DataUnavailableError

REAL_MIRROR = Path(__file__).resolve().parents[2].parent / "shared" / "factor-data" / MIRROR_FILE


def _months(n: int) -> list[str]:
    return [str(p).replace("-", "") for p in pd.period_range("1926-07", periods=n, freq="M")]


def _values(i: int) -> tuple[float, float, float, float]:
    """Distinct, known values per month (percent)."""
    return (round(1.0 + 0.1 * i, 2), round(-0.5 + 0.05 * i, 2), round(0.3 - 0.02 * i, 2), 0.25)


def published_text(n_months: int = 30, annual_years: tuple[int, ...] = (1927, 1928)) -> str:
    """French's CSV as published: text preamble, monthly rows, annual section, copyright."""
    lines = [
        "This file was created by CMPT_ME_BEME_RETS using the 202510 CRSP database.",
        "The 1-month TBill return is from Ibbotson and Associates, Inc.",
        "",
        ",Mkt-RF,SMB,HML,RF",
    ]
    for i, month in enumerate(_months(n_months)):
        lines.append(month + "," + ",".join(f"{v:8.2f}" for v in _values(i)))
    lines += ["", " Annual Factors: January-December ", ",Mkt-RF,SMB,HML,RF"]
    lines += [f"{y},   10.00,    1.00,   -1.00,    3.00" for y in annual_years]
    lines += ["", "Copyright 2025 Kenneth R. French", ""]
    return "\r\n".join(lines)


def published_zip(text: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(f"{DATASET}.CSV", text)
    return out.getvalue()


def settings(tmp_path: Path, **kw: object) -> DataSettings:
    base = {
        "factors_dir": str(tmp_path / "mirror"),
        "cache_dir": str(tmp_path / "cache"),
        "download_retries": 2,
        "download_backoff_s": 0.0,
    }
    return DataSettings(**{**base, **kw})


def test_the_published_file_reads_its_monthly_section_only():
    table = parse_published(published_text(), "fake")
    assert len(table.monthly) == 30 and table.annual_rows == 2
    assert str(table.monthly.index[0]) == "1926-07" and str(table.monthly.index[-1]) == "1928-12"
    assert table.monthly.iloc[3].tolist() == list(_values(3))


def test_pandas_datareader_reads_the_same_fake_the_same_way():
    """Cross-check against pandas-datareader's famafrench parser (its session faked)."""
    import requests
    from pandas_datareader.famafrench import FamaFrenchReader

    raw = published_zip(published_text())

    class Answer:
        status_code, content, encoding, headers, text = 200, raw, "utf-8", {}, ""

    class Session(requests.Session):
        def get(self, *args: object, **kwargs: object) -> Answer:  # type: ignore[override]
            return Answer()

    theirs = FamaFrenchReader(DATASET, start="1900-01-01", session=Session()).read()[0]
    ours = parse_published(published_text(), "fake").monthly
    assert list(theirs.columns) == list(ours.columns)
    assert [str(p) for p in theirs.index] == [str(p) for p in ours.index]
    np.testing.assert_array_equal(theirs.to_numpy(float), ours.to_numpy(float))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace(",Mkt-RF,SMB,HML,RF", ",Mkt,SMB,HML,RF", 1), "no header line"),
        (lambda t: t.replace("192609,", "192613,"), "unparsable month '192613'"),
        (lambda t: t.replace("192609,", "192608,"), "month 192608 appears twice"),
        (lambda t: t.replace("192609,", "192605,"), "earlier than the line before"),
        (lambda t: t.replace("    0.25\r\n192702", "    abc\r\n192702"), "is not a number"),
        (lambda t: t.replace("    0.25\r\n192702", " 250.00\r\n192702"), "not plausible"),
    ],
)
def test_malformed_files_are_refused_with_the_line(edit, message):
    with pytest.raises(DataQualityError, match=message):
        parse_published(edit(published_text()), "fake")


def test_french_missing_marks_and_absent_months_are_flagged_and_never_filled():
    text = published_text().replace("    0.25\r\n192610", "  -99.99\r\n192610")  # 1926-09 RF
    text = "\r\n".join(ln for ln in text.split("\r\n") if not ln.startswith("192703,"))
    monthly = parse_published(text, "fake").monthly
    assert np.isnan(monthly.loc[pd.Period("1926-09", "M"), "RF"])
    kinds = {i.kind: i for i in month_gaps(monthly, "factors")}
    assert set(kinds) == {"missing_months", "missing_values"}
    assert (
        kinds["missing_values"].dates == ("1926-09",) and "1927-03" in kinds["missing_months"].dates
    )
    levels = factor_levels(monthly)
    # MKT and RF read RF: they stop at 1926-09; SMB and HML stop at the absent month
    assert (
        levels["MKT"].loc[:"1926-08-31"].notna().all()
        and levels["MKT"].loc["1926-09":].isna().all()
    )
    assert (
        levels["SMB"].loc[:"1927-02-28"].notna().all()
        and levels["SMB"].loc["1927-03":].isna().all()
    )


def test_levels_compound_the_monthly_returns_by_hand():
    monthly = parse_published(published_text(3), "fake").monthly
    levels = factor_levels(monthly)
    assert list(levels.index.strftime("%Y-%m-%d")) == [  # each month's last weekday
        "1926-06-30", "1926-07-30", "1926-08-31", "1926-09-30",
    ]  # fmt: skip
    v = [_values(i) for i in range(3)]
    mkt = [1.0]
    for m in v:
        mkt.append(mkt[-1] * (1 + (m[0] + m[3]) / 100))
    np.testing.assert_allclose(levels["MKT"], mkt, rtol=1e-14)
    smb = np.cumprod([1.0] + [1 + m[1] / 100 for m in v])
    np.testing.assert_allclose(levels["SMB"], smb, rtol=1e-14)


def test_download_through_the_library_zip_then_the_cache(tmp_path: Path):
    served = tmp_path / "served.zip"
    served.write_bytes(published_zip(published_text()))
    s = settings(tmp_path)
    first = load_factors(s, tmp_path, url=served.as_uri())
    assert first.provider == "french" and not first.served_from_cache and first.issues == []
    assert first.table.annual_rows == 2 and len(first.monthly) == 30
    again = load_factors(s, tmp_path, fetch=_no_network)
    assert again.served_from_cache and again.source_sha256 == first.source_sha256
    pd.testing.assert_frame_equal(again.monthly, first.monthly)
    data = factor_market_data(again)  # provenance on every series
    assert (
        data.sources["SMB"].provider == "french" and served.as_uri() in data.sources["SMB"].origin
    )
    assert data.sources["MKT"].first == "1926-07" and data.sources["MKT"].last == "1928-12"
    digest = hashlib.sha256(served.read_bytes()).hexdigest()  # of the bytes downloaded
    assert first.source_sha256 == digest and digest in data.sources["MKT"].origin


def _no_network(url: str, s: DataSettings) -> bytes:
    raise DataUnavailableError(f"offline: {url}")


def test_a_stale_cache_is_used_when_the_refresh_fails_and_said_so(tmp_path: Path):
    s = settings(tmp_path)
    load_factors(s, tmp_path, fetch=lambda u, _: published_zip(published_text()))
    stale = settings(tmp_path, max_cache_age_days=0)
    used = load_factors(stale, tmp_path, fetch=_no_network)
    assert used.served_from_cache and [i.kind for i in used.issues] == ["stale_cache"]
    with pytest.raises(DataUnavailableError, match="no offline copy"):
        load_factors(settings(tmp_path / "other"), tmp_path, fetch=_no_network)
    with pytest.raises(DataUnavailableError, match="downloads are off"):
        load_factors(settings(tmp_path / "none", factors_download=False), tmp_path)


def test_download_retries_then_names_the_fix(tmp_path: Path):
    waits: list[float] = []
    s = settings(tmp_path, download_retries=3, download_backoff_s=1.0)
    with pytest.raises(DataUnavailableError, match=r"could not download .* offline copy"):
        download((tmp_path / "absent.zip").as_uri(), s, sleep=waits.append)
    assert waits == [1.0, 2.0]


def test_the_mirror_copy_is_read_cached_and_a_tampered_cache_set_aside(tmp_path: Path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    lines = ["Date,Mkt-RF,SMB,HML,RF"]
    lines += [m + "," + ",".join(f"{x:g}" for x in _values(i)) for i, m in enumerate(_months(30))]
    (mirror / MIRROR_FILE).write_text("\n".join(lines) + "\n")
    s = settings(tmp_path, factors_download=False)
    first = load_factors(s, tmp_path)
    assert first.provider == "mirror" and not first.served_from_cache
    pd.testing.assert_frame_equal(first.monthly, parse_published(published_text(), "f").monthly)
    assert load_factors(s, tmp_path).served_from_cache
    entry = tmp_path / "cache" / "factors" / CACHE_FILE
    raw = bytearray(entry.read_bytes())
    raw[len(raw) // 3] ^= 0xFF  # damage a value
    entry.write_bytes(bytes(raw))
    reread = load_factors(s, tmp_path)
    assert not reread.served_from_cache and reread.issues[0].kind == "corrupt_cache"
    assert list(entry.parent.glob(f"{CACHE_FILE}.corrupt-*"))
    (mirror / MIRROR_FILE).write_text("\n".join(lines[:10]) + "\n")  # the copy changed
    assert len(load_factors(s, tmp_path).monthly) == 9
    with pytest.raises(DataQualityError, match="bad header"):
        parse_mirror(b"date,mkt\n192607,1\n", "m.csv")


@pytest.mark.skipif(not REAL_MIRROR.is_file(), reason="no factor-data mirror")
def test_the_real_mirror_copy_has_every_month_from_1926_07_to_2018_11():
    table = parse_mirror(REAL_MIRROR.read_bytes(), str(REAL_MIRROR))
    monthly = table.monthly
    assert len(monthly) == 1109 and month_gaps(monthly, "factors") == []
    assert monthly.loc[pd.Period("1926-07", "M")].tolist() == [2.96, -2.3, -2.87, 0.22]
    assert monthly.loc[pd.Period("2018-11", "M")].tolist() == [1.69, -0.75, 0.22, 0.18]
