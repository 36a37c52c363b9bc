"""A workspace's overview in pictures: registrations and refusals per day, clients by source.

``selectors`` reads the numbers (workspace-scoped, aggregated in SQL, a fixed number of queries),
``charts`` draws them as SVG (pure: data in, markup out) and ``context`` joins the two for the
template include ``registration/overview/charts.html``.
"""
