"""Names and incident-title templates for the seeded account.

Titles carry variable parts (numbers, hosts, hex ids, UUIDs, IPs, quoted values) so that Vigil's
"recurring incidents" normalisation (DESIGN.md metric table) has real work to do: the same template recurs
with different values, and a few exact titles repeat.
"""

from __future__ import annotations

TIME_ZONES: tuple[str, ...] = (
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Australia/Sydney",
    "America/Sao_Paulo",
)

ACCOUNT_TIME_ZONE = {"us": "America/New_York", "eu": "Europe/Berlin"}

# (name, description, home time zone index into TIME_ZONES)
TEAMS: tuple[tuple[str, str, int], ...] = (
    ("Platform", "Kubernetes, networking and the paved road", 0),
    ("Payments", "Card processing, payouts and ledgers", 2),
    ("Checkout", "Cart, pricing and order placement", 1),
    ("Search", "Indexing, ranking and query serving", 3),
    ("Data", "Pipelines, warehouse and streaming", 4),
    ("Mobile", "iOS and Android apps and their backends", 1),
    ("Identity", "Login, SSO, sessions and permissions", 5),
    ("SRE", "Observability, capacity and incident command", 0),
)

# Two to four services per team; (team index, name, weight, status)
SERVICES: tuple[tuple[int, str, float, str], ...] = (
    (0, "API Gateway", 3.0, "active"),
    (0, "Kubernetes Control Plane", 1.5, "active"),
    (0, "Service Mesh", 1.0, "active"),
    (1, "Payments API", 2.5, "active"),
    (1, "Ledger", 1.0, "active"),
    (1, "Payouts Worker", 1.2, "warning"),
    (2, "Checkout Web", 3.5, "active"),
    (2, "Pricing Engine", 1.3, "active"),
    (2, "Order Service", 2.0, "critical"),
    (3, "Search API", 2.2, "active"),
    (3, "Indexer", 1.6, "active"),
    (3, "Legacy Search", 0.4, "disabled"),
    (4, "Ingest Pipeline", 2.4, "active"),
    (4, "Warehouse Loader", 1.4, "active"),
    (4, "Kafka Cluster", 1.8, "active"),
    (5, "Mobile BFF", 2.0, "active"),
    (5, "Push Notifications", 1.1, "active"),
    (5, "App Config", 0.5, "maintenance"),
    (6, "Auth Service", 2.6, "active"),
    (6, "SSO Bridge", 0.9, "active"),
    (6, "Session Store", 1.0, "active"),
    (7, "Monitoring Stack", 1.2, "active"),
    (7, "Status Page", 0.3, "active"),
    (7, "Edge CDN", 1.7, "active"),
    (7, "DNS", 0.6, "active"),
)

FIRST_NAMES: tuple[str, ...] = (
    "Ava",
    "Liam",
    "Noah",
    "Mia",
    "Ethan",
    "Priya",
    "Arjun",
    "Sofia",
    "Lucas",
    "Emma",
    "Hannah",
    "Jonas",
    "Lena",
    "Felix",
    "Chloe",
    "Oliver",
    "Isla",
    "Ravi",
    "Ananya",
    "Kenji",
    "Yuki",
    "Mateo",
    "Lucia",
    "Grace",
    "Daniel",
    "Amelia",
    "Samir",
    "Fatima",
    "Omar",
    "Zoe",
    "Max",
    "Nina",
    "Leo",
    "Ivy",
    "Theo",
    "Maya",
    "Aria",
    "Caleb",
    "Elena",
    "Hugo",
    "Ines",
    "Jack",
    "Kira",
    "Marco",
    "Nora",
    "Paul",
    "Rosa",
    "Sven",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zane",
    "Carla",
    "Diego",
    "Erin",
    "Farah",
    "Gabe",
)

LAST_NAMES: tuple[str, ...] = (
    "Chen",
    "Patel",
    "Garcia",
    "Muller",
    "Smith",
    "Okafor",
    "Nakamura",
    "Silva",
    "Kowalski",
    "Rossi",
    "Dubois",
    "Andersen",
    "Kim",
    "Nguyen",
    "Haddad",
    "Fischer",
    "Walsh",
    "Iyer",
    "Costa",
    "Berg",
    "Lopez",
    "Novak",
    "Sato",
    "Meyer",
    "Brown",
    "Khan",
    "Larsen",
    "Moreau",
    "Santos",
    "Weber",
)

JOB_TITLES: tuple[str, ...] = (
    "Software Engineer",
    "Senior Software Engineer",
    "Staff Engineer",
    "Site Reliability Engineer",
    "Engineering Manager",
    "Principal Engineer",
    "Platform Engineer",
    "Data Engineer",
)

COLORS: tuple[str, ...] = ("green", "red", "purple", "teal", "orange", "brown", "cayenne", "blue")

PRIORITIES: tuple[tuple[str, str], ...] = (
    ("P1", "Critical issue that warrants public notification and liaison with executive teams"),
    ("P2", "Critical system issue actively impacting many customers"),
    ("P3", "Stability or minor customer-impacting issues that require immediate attention"),
    ("P4", "Minor issues requiring action, but not affecting customers"),
    ("P5", "Cosmetic issues or bugs, not affecting customers"),
)

ABILITIES: tuple[str, ...] = (
    "teams",
    "read_only_users",
    "service_support_hours",
    "urgencies",
    "advanced_reports",
    "manage_api_keys",
    "manage_schedules",
    "response_operations",
    "event_rules",
    "status_dashboards",
)

# Placeholders: {host} {n} {n2} {pct} {ms} {hex} {uuid} {ip} {q} {region} {queue} {db} {code}
TITLE_TEMPLATES: tuple[str, ...] = (
    "High CPU on {host}",
    "Disk usage above {pct}% on {host}",
    "Memory pressure on {host}: {pct}% used",
    "p99 latency {ms}ms exceeds SLO on {svc}",
    "Error rate {pct}% on {svc} in {region}",
    "5xx spike on {svc}: {n} errors in 5 minutes",
    "Health check failing for {host}",
    "Pod {svc_slug}-{hex5} CrashLoopBackOff",
    "Deployment {svc_slug}-{hex7} rollout stuck",
    "Queue {queue} backlog at {n} messages",
    "Consumer lag {n} on topic {queue}",
    "Replication lag {n}s on {db}",
    "Connection pool exhausted on {db}",
    "Slow queries on {db}: {n} over 5s",
    "Certificate for {domain} expires in {n2} days",
    "TLS handshake failures from {ip}",
    "Job {uuid} failed after {n2} retries",
    "Batch run {hex7} missed its deadline",
    "Webhook deliveries to {q} failing",
    "Payment provider {q} returning {code}",
    "Cache hit ratio dropped to {pct}% on {host}",
    "DNS resolution failures for {domain}",
    "Node {ip} NotReady",
    "Synthetic check {q} failed from {region}",
    "Too many open files on {host}",
    "OOMKilled: {svc_slug} worker {n2}",
    "Elevated 429s from upstream {q}",
    "Request timeouts to {svc} from {region}",
    "Login failures above threshold: {n} in 10 minutes",
    "Stale data in {db}: last write {n2} minutes ago",
    "Kafka partition {n2} under-replicated",
    "S3 bucket {q} access denied",
    "Config push {hex7} rejected by {host}",
    "Feature flag {q} evaluation errors",
    "Cron {q} did not run",
    "Disk I/O wait {pct}% on {db}",
    "Circuit breaker open for {q}",
    "Trace sampling dropped {pct}% of spans",
    "Search index {q} out of date by {n2} hours",
    "Unhealthy targets behind load balancer {hex7}",
)

REGIONS_DC: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1")
QUEUES: tuple[str, ...] = ("orders", "emails", "payouts", "events", "audit", "reindex", "thumbnails")
DATABASES: tuple[str, ...] = ("orders-db", "users-db", "ledger-pg", "search-es", "sessions-redis")
QUOTED: tuple[str, ...] = (
    "'stripe'",
    "'adyen'",
    "'nightly-export'",
    "'checkout-v2'",
    "'homepage'",
    "'billing-report'",
    "'eu-login'",
    "'partner-api'",
    "'assets-prod'",
    "'cleanup'",
)
DOMAINS: tuple[str, ...] = ("api.example.com", "login.example.com", "cdn.example.net", "status.example.io")
HTTP_CODES: tuple[str, ...] = ("500", "502", "503", "504", "429")

DEPLOY_TOOLS: tuple[str, ...] = ("github-actions", "argo-cd", "spinnaker", "jenkins")
