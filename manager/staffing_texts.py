"""The what-if staffing page's texts (gettext messages; es, fr and ar in the catalogs)."""
from __future__ import annotations

from servicepoint.catalogs import N_, NP_
from servicepoint.texts import Catalogue

CATALOGUE: Catalogue = {
    "st.title": N_("What-if staffing"),
    "st.intro": N_("Counters each service needs to call its goal share of customers within its "
                   "target wait, from %(weekday)s in the last %(weeks)s weeks (%(days)s of them "
                   "with tickets). Erlang C gives the counters and the mean wait to expect; the "
                   "simulator checks them with this branch's own visit times."),
    "st.weekday": N_("Weekday"),
    "st.weeks": N_("Weeks of history"),
    "st.hour": N_("Hour"),
    "st.show": N_("Show"),
    "st.none": N_("No tickets on these days yet: there is nothing to plan from."),
    "st.table": N_("Counters needed per hour (Erlang C)"),
    "st.table.caption": N_("Each cell: counters needed · mean wait with them · customers per hour."),
    "st.total": N_("All services"),
    "st.total.note": N_("The total counts a counter for each service; counters that serve "
                        "several services may cover more than one."),
    "st.choices": N_("At %(hour)s: what each choice gives"),
    "st.counters": N_("Counters"),
    "st.service_level": N_("Service level"),
    "st.mean_wait": N_("Mean wait"),
    "st.goal": N_("Goal: %(goal)s within %(target)s"),
    "st.visit": N_("Visit %(visit)s · %(rate)s customers per hour"),
    "st.erlang": N_("Erlang C"),
    "st.simulated_result": NP_("Simulated with %(n)d counter: %(sl)s called within target, "
                               "mean wait %(wait)s",
                               "Simulated with %(n)d counters: %(sl)s called within target, "
                               "mean wait %(wait)s"),
    "st.simulate": N_("Check with the simulator"),
    "st.simulate.hint": N_("The simulator plays a service at this hour with the counters needed "
                           "and this branch's own visit times, about 400 customers (a few "
                           "seconds), and shows the service level and mean wait that followed."),
    "st.grows": N_("the queue keeps growing"),
    "st.meets": N_("meets the goal"),
    "st.misses": N_("misses the goal"),
    "st.needed": N_("needed"),
    "st.too_many": N_("more than 60"),
    "st.per_hour": N_("%(n)s/h"),
    "wd.0": N_("Monday"),
    "wd.1": N_("Tuesday"),
    "wd.2": N_("Wednesday"),
    "wd.3": N_("Thursday"),
    "wd.4": N_("Friday"),
    "wd.5": N_("Saturday"),
    "wd.6": N_("Sunday"),
}
