"""Derived figures of a results Dataset."""

from __future__ import annotations

import xarray as xr

BASIC = ["uebmi_pool", "uebmi_personal", "urrbmi_pool"]
INTERNAL_IN = ["retiree_credit_in"]
INTERNAL_OUT = ["retiree_credit_out"]


def basic_insurance(ds: xr.Dataset) -> xr.Dataset:
    """Income and expenditure of basic medical insurance as the bulletins report them.

    The UEBMI pool and personal accounts plus the URRBMI fund, without the transfer from the
    pool to retirees' personal accounts (counted once, as personal-account spending when
    spent). The critical-illness premium counts as URRBMI expenditure; the insurer's and
    medical assistance's own accounts are outside basic insurance.
    """
    flows = ds["by_flow"].sel(fund=BASIC)
    income = ds["income"].sel(fund=BASIC).sum("fund") - flows.sel(flow=INTERNAL_IN).sum(
        ("fund", "flow")
    )
    expenditure = ds["expenditure"].sel(fund=BASIC).sum("fund") - flows.sel(flow=INTERNAL_OUT).sum(
        ("fund", "flow")
    )
    income.attrs.update(
        units="yuan",
        long_name="basic medical insurance income",
        long_name_zh="基本医疗保险基金收入",
    )
    expenditure.attrs.update(
        units="yuan",
        long_name="basic medical insurance expenditure",
        long_name_zh="基本医疗保险基金支出",
    )
    return xr.Dataset({"income": income, "expenditure": expenditure})
