"""The branch manager's dashboard: live queues, counters and today's KPIs, plus exports."""
