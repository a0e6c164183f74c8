"""PagerDuty REST API v2: client, errors and webhook signatures (facts in shared/pagerduty/API-NOTES.md)."""
