"""JSON shapes of PagerDuty's REST API v2 resources, built from store rows."""
