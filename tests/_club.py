"""Club Santé documents that more than one test area seeds into a sandbox vector store."""

from __future__ import annotations

PRICES_MD = (
    "# Prices\n\n"
    "A single visit costs 1500 rubles. A monthly membership costs 5000 rubles and "
    "includes the pool and the gym. Students get a 20 percent discount on the monthly "
    "membership.\n"
)

SCHEDULE_MD = (
    "# Opening hours\n\n"
    "The club is open from 7:00 to 23:00 on weekdays and from 9:00 to 21:00 at weekends. "
    "The swimming pool closes thirty minutes before the club.\n"
)
