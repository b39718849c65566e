"""Global budget with a floating point value, quality deposit and year-end clearing.

Under DRG/DIP the year's points are paid at a point value that floats so that the total
meets the budget (点数法·总额预算). During the year the fund pays each month's DRG claims at
the provisional value, withholding the quality deposit (at most 5%, DOMAIN "settlement
practice"). At the clearing the following spring the year is settled against the budget:
below it, hospitals keep ``surplus_retained`` of the saving (结余留用); above it, the fund
shares ``overrun_shared`` of the overrun (合理超支分担). The clearing pays the difference
between that final amount and what was paid during the year (the deposit comes back then).
"""

from __future__ import annotations


def final_amount(
    incurred: float, budget: float, surplus_retained: float, overrun_shared: float
) -> float:
    """What the fund owes hospitals for a year of DRG claims worth ``incurred`` [yuan]."""
    if incurred <= budget:
        return incurred + surplus_retained * (budget - incurred)
    return budget + overrun_shared * (incurred - budget)
