"""A cluster on one machine, built from Debian's packages, that must lose nothing.

Three PostgreSQL 15 instances under Patroni (one etcd as its store of state), with synchronous
replication; HAProxy sending the database connections to the leader (Patroni's `/primary`
check) and the HTTP requests to three `grassroots serve` processes; NATS JetStream as a cluster
of three servers holding the stream with three replicas.

Under a steady load of reports (a separate process: `cluster.py load`), it kills (SIGKILL) the
PostgreSQL leader, then one `grassroots` process, then one NATS server, and afterwards checks:

- every report the platform acknowledged (201) is in the store, and none twice, though the
  load sends a report again with its idempotency key while it is unanswered or answered busy;
- every case's events run 1, 2, 3, … with no gap, the last one the case's version;
- no deadline mark was made twice, and every case of a backlog imported before the run (open
  emergency cases whose two hours to respond run out while the kills happen) got its mark;
- every event in the outbox reached NATS once: one delivery each, marked delivered, and one
  message in the stream per event id, no more;
- the figures answered after each kill, and were read from a standby while it kept up;

and prints, for each kill, the outage: the longest time without an acknowledged report.

Run by tests/cluster/run (which installs the packages and nats-py); see the README.
"""

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

PG_BIN = "/usr/lib/postgresql/15/bin"
ETCD = 12379
PG = [15432, 15433, 15434]
PATRONI = [18008, 18009, 18010]
PG_FRONT = 15000
PG_REPLICAS = 15001
WEB = [18081, 18082, 18083]
WEB_FRONT = 18080
NATS = [14222, 14223, 14224]
NATS_ROUTES = [16222, 16223, 16224]
NATS_SERVERS = [f"nats://127.0.0.1:{p}" for p in NATS]
DATABASE = "grassroots"
DB_URL = f"postgres://postgres@127.0.0.1:{PG_FRONT}/{DATABASE}"
REPLICA_URL = f"postgres://postgres@127.0.0.1:{PG_REPLICAS}/{DATABASE}"
BACKLOG = 600
STEADY = 20  # seconds of load before the first kill and after each recovery
# Open cases past their deadline that the deadline worker has not marked overdue yet.
UNMARKED = (
    "SELECT count(*) FROM cases WHERE state IN ('received', 'registered', 'dispatched', 'in_progress') "
    "AND due_status <> 'overdue' AND (resolve_due < (extract(epoch FROM now()) * 1000)::bigint "
    "OR (first_contact_at IS NULL AND response_due < (extract(epoch FROM now()) * 1000)::bigint))"
)


def say(*words):
    print(f"[{time.strftime('%H:%M:%S')}]", *words, flush=True)


def wait_for(what, check, timeout=120, every=0.5):
    ends = time.time() + timeout
    while time.time() < ends:
        try:
            if check():
                return
        except (OSError, subprocess.SubprocessError, ValueError):
            pass
        time.sleep(every)
    raise SystemExit(f"cluster: {what} did not happen within {timeout} s")


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        return answer.status, answer.read()


def psql(sql, port=PG_FRONT, db=DATABASE):
    out = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db, "-AtX", "-F", "\t", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [line.split("\t") for line in out.stdout.splitlines() if line]


def create_database():
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
    if psql(exists, db="postgres") != [["1"]]:
        psql(f"CREATE DATABASE {DATABASE}", db="postgres")
    return psql(exists, db="postgres") == [["1"]]


class Cluster:
    def __init__(self, work, binary):
        self.work = work
        self.binary = binary
        self.procs = {}
        self.logs = []

    def spawn(self, name, argv, user=None, env=None):
        log = open(os.path.join(self.work, f"{name}.log"), "ab")
        self.logs.append(log)
        if user:
            argv = ["runuser", "-u", user, "--"] + argv
        self.procs[name] = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True
        )

    def kill(self, name):
        """SIGKILL to the process group: the process and everything it started. PostgreSQL's
        postmaster leaves Patroni's group (so that it outlives a restart of Patroni): it is
        killed by its pid file."""
        proc = self.procs.pop(name)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
        if name.startswith("patroni"):
            pid_file = os.path.join(self.work, f"pg{name[len('patroni'):]}", "postmaster.pid")
            try:
                with open(pid_file) as f:
                    os.kill(int(f.readline()), signal.SIGKILL)
            except (OSError, ValueError):
                pass

    def stop(self):
        for name in reversed(list(self.procs)):
            self.kill(name)
        for log in self.logs:
            log.close()

    # --- etcd -------------------------------------------------------------------------------

    def start_etcd(self):
        data = os.path.join(self.work, "etcd")
        self.spawn(
            "etcd",
            [
                "etcd",
                "--name",
                "etcd1",
                "--data-dir",
                data,
                "--listen-client-urls",
                f"http://127.0.0.1:{ETCD}",
                "--advertise-client-urls",
                f"http://127.0.0.1:{ETCD}",
                "--listen-peer-urls",
                "http://127.0.0.1:12380",
                "--initial-advertise-peer-urls",
                "http://127.0.0.1:12380",
                "--initial-cluster",
                "etcd1=http://127.0.0.1:12380",
                "--enable-v2=true",
            ],
        )
        wait_for("etcd answering", lambda: http_get(f"http://127.0.0.1:{ETCD}/health")[0] == 200)

    # --- PostgreSQL under Patroni -----------------------------------------------------------

    def patroni_config(self, i):
        data = os.path.join(self.work, f"pg{i}")
        return f"""
scope: grassroots
name: pg{i}
restapi:
  listen: 127.0.0.1:{PATRONI[i]}
  connect_address: 127.0.0.1:{PATRONI[i]}
etcd3:
  host: 127.0.0.1:{ETCD}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 200
        wal_log_hints: "on"
        synchronous_commit: "on"
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
  pg_hba:
    - host replication replicator 127.0.0.1/32 trust
    - host all all 127.0.0.1/32 trust
    - local all all trust
postgresql:
  listen: 127.0.0.1:{PG[i]}
  connect_address: 127.0.0.1:{PG[i]}
  data_dir: {data}
  bin_dir: {PG_BIN}
  pgpass: {self.work}/pgpass{i}
  authentication:
    replication:
      username: replicator
      password: replicator
    superuser:
      username: postgres
      password: postgres
  parameters:
    unix_socket_directories: {self.work}
    shared_buffers: 128MB
"""

    def start_postgres(self, i):
        path = os.path.join(self.work, f"patroni{i}.yml")
        with open(path, "w") as f:
            f.write(self.patroni_config(i))
        self.spawn(f"patroni{i}", ["patroni", path], user="postgres")

    def patroni_role(self, i):
        try:
            _, body = http_get(f"http://127.0.0.1:{PATRONI[i]}/patroni")
        except (OSError, urllib.error.URLError):
            return None
        state = json.loads(body)
        return state.get("role") if state.get("state") == "running" else None

    def leader(self):
        for i in range(len(PG)):
            if self.patroni_role(i) in ("master", "primary") and f"patroni{i}" in self.procs:
                return i
        return None

    def sync_standby(self):
        """The synchronous standbys, as the leader sees the cluster."""
        leader = self.leader()
        if leader is None:
            return []
        _, body = http_get(f"http://127.0.0.1:{PATRONI[leader]}/cluster")
        members = json.loads(body)["members"]
        return [m["name"] for m in members if m["role"] == "sync_standby"]

    # --- HAProxy ----------------------------------------------------------------------------

    def start_haproxy(self):
        pg = "\n".join(
            f"  server pg{i} 127.0.0.1:{PG[i]} maxconn 100 check port {PATRONI[i]}" for i in range(len(PG))
        )
        web = "\n".join(f"  server web{i} 127.0.0.1:{WEB[i]} check" for i in range(len(WEB)))
        config = f"""
global
  maxconn 2000
defaults
  timeout connect 2s
  timeout client 10m
  timeout server 10m
  timeout check 2s
listen postgres
  mode tcp
  bind 127.0.0.1:{PG_FRONT}
  option httpchk GET /primary
  http-check expect status 200
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
{pg}
listen replicas
  mode tcp
  bind 127.0.0.1:{PG_REPLICAS}
  balance roundrobin
  option httpchk GET /replica
  http-check expect status 200
  default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
{pg}
listen grassroots
  mode http
  bind 127.0.0.1:{WEB_FRONT}
  balance roundrobin
  option httpchk GET /healthz
  retries 3
  option redispatch
  retry-on conn-failure
  default-server inter 1s fall 2 rise 2
{web}
"""
        path = os.path.join(self.work, "haproxy.cfg")
        with open(path, "w") as f:
            f.write(config)
        self.spawn("haproxy", ["haproxy", "-W", "-db", "-f", path])

    # --- NATS JetStream ---------------------------------------------------------------------

    def start_nats(self, i):
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in NATS_ROUTES)
        config = f"""
server_name: nats{i}
listen: 127.0.0.1:{NATS[i]}
jetstream {{ store_dir: "{self.work}/nats{i}" }}
cluster {{
  name: grassroots
  listen: 127.0.0.1:{NATS_ROUTES[i]}
  routes: [{routes}]
}}
"""
        path = os.path.join(self.work, f"nats{i}.conf")
        with open(path, "w") as f:
            f.write(config)
        self.spawn(f"nats{i}", ["nats-server", "-c", path])

    # --- grassroots -------------------------------------------------------------------------

    def grassroots(self, *args, **kwargs):
        return subprocess.run(
            [self.binary, "--data-dir", os.path.join(self.work, "grassroots"), "--database-url", DB_URL, *args],
            check=True,
            capture_output=True,
            text=True,
            **kwargs,
        )

    def start_web(self, i):
        self.spawn(
            f"web{i}",
            [
                self.binary,
                "--data-dir",
                os.path.join(self.work, "grassroots"),
                "--database-url",
                DB_URL,
                "--nats-url",
                ",".join(NATS_SERVERS),
                "--replica-url",
                REPLICA_URL,
                "--listen",
                f"127.0.0.1:{WEB[i]}",
                "--public-rate-per-minute",
                "100000000",
                "--public-burst",
                "100000000",
                "--retrain-hours",
                "0",
                "serve",
            ],
            env={"RUST_LOG": "info"},
        )
        wait_for(f"grassroots {i} serving", lambda: http_get(f"http://127.0.0.1:{WEB[i]}/healthz")[0] == 200)


def write_backlog(binary, path):
    """Open emergency cases nobody has answered, received so that their two hours run out
    from 20 s to 80 s after now: the deadline worker marks them while the kills happen. The
    columns and the mapping are those of the legacy_cases example (whose first row lends its
    category and unit)."""
    subprocess.run(
        [os.path.join(os.path.dirname(binary), "examples", "legacy_cases"), "1", path],
        check=True,
        capture_output=True,
    )
    with open(path, newline="") as f:
        header, sample = list(csv.reader(f))[:2]
    row = dict(zip(header, sample))
    beijing = 8 * 3600
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(header)
        for n in range(BACKLOG):
            received = time.time() - 7200 + 20 + 60 * n / BACKLOG
            out.writerow([
                {
                    "工单编号": f"CL{n:06d}",
                    "受理时间": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(received + beijing)),
                    "紧急程度": "特急",
                    "诉求内容": f"集群测试积压件 {n}：燃气泄漏",
                }.get(column, "" if column in ("首次响应时间", "办结时间", "办理结果", "是否解决", "满意度") else row[column])
                for column in header
            ])


# --- the load: a process of its own --------------------------------------------------------

def load(url, out, clients, rate):
    """Posts reports from `clients` threads at `rate` a second in all until stdin closes; one
    line per answer to `out`: time, HTTP status (0: no answer), case id when received."""
    lock = threading.Lock()
    stop = threading.Event()
    sink = open(out, "w", buffering=1)
    pause = clients / rate

    def client(n):
        rng = random.Random(n)
        i = 0
        while not stop.is_set():
            i += 1
            report = {
                "description": f"集群测试 {n}-{i}：{rng.choice(['路灯不亮', '井盖缺失', '垃圾堆放', '噪音扰民'])}",
                "category_code": rng.choice(["0301", "0302"]),
                # Within the demo's grids, which the platform serves.
                "lat": 39.905 + rng.random() * 0.04,
                "lng": 116.400 + rng.random() * 0.02,
                "reporter_name": "张三",
                "reporter_phone": f"138{rng.randrange(10**8):08d}",
            }
            began = time.time()
            # A report unanswered, or answered "busy", is sent again with the same key, as a
            # careful client would: the platform must not make it twice.
            headers = {"content-type": "application/json", "idempotency-key": f"cluster-{n}-{i}-{rng.random()}"}
            while True:
                request = urllib.request.Request(f"{url}/api/v1/cases", data=json.dumps(report).encode(), headers=headers)
                status, case = 0, ""
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        status = answer.status
                        case = json.loads(answer.read())["id"]
                except urllib.error.HTTPError as e:
                    status = e.code
                    if status == 422:
                        print("refused:", json.dumps(report, ensure_ascii=False), e.read().decode(), file=sys.stderr)
                except (OSError, ValueError):
                    status = 0
                with lock:
                    sink.write(f"{time.time():.3f}\t{status}\t{case}\n")
                if status not in (0, 502, 503) or stop.is_set():
                    break
                time.sleep(1)
            time.sleep(max(0.0, pause - (time.time() - began)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    sys.stdin.read()
    stop.set()
    for t in threads:
        t.join()
    sink.close()


# --- the run --------------------------------------------------------------------------------

def longest_gap(answers, start, end):
    """The longest time in [start, end] without an acknowledged report."""
    times = [start] + [t for t, status, _ in answers if status == 201 and start <= t <= end] + [end]
    return max(b - a for a, b in zip(times, times[1:]))


async def quiet(error):
    """A server of the list that is down (one was killed) is no error: the client takes another."""


def check_nats(events):
    """Every event id once in the stream GRASSROOTS, and nothing else there."""
    import nats

    async def read():
        client = await nats.connect(servers=NATS_SERVERS, error_cb=quiet)
        js = client.jetstream()
        info = await js.stream_info("GRASSROOTS")
        ids = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg("GRASSROOTS", seq)
            ids.append(msg.headers.get("Nats-Msg-Id"))
        await client.close()
        return info, ids

    info, ids = asyncio.run(read())
    assert len(ids) == len(set(ids)), f"an event reached the stream twice: {len(ids) - len(set(ids))} repeats"
    assert set(ids) == events, f"stream and outbox differ: {len(set(ids) - events)} extra, {len(events - set(ids))} missing"
    return info.state.messages, info.config.num_replicas


def create_stream():
    import nats
    from nats.js.api import StreamConfig

    async def create():
        client = await nats.connect(servers=NATS_SERVERS, error_cb=quiet)
        js = client.jetstream()
        await js.add_stream(StreamConfig(name="GRASSROOTS", subjects=["grassroots.>"], num_replicas=3))
        await client.close()

    asyncio.run(create())


def run(binary):
    work = tempfile.mkdtemp(prefix="grassroots-cluster-")
    os.chmod(work, 0o755)
    shutil.chown(work, "postgres", "postgres")
    os.makedirs(os.path.join(work, "grassroots"))
    cluster = Cluster(work, binary)
    say("work directory", work)
    try:
        cluster.start_etcd()
        for i in range(len(PG)):
            cluster.start_postgres(i)
        wait_for("a PostgreSQL leader", lambda: cluster.leader() is not None, timeout=180)
        wait_for(
            "two replicas streaming, one synchronous",
            lambda: sum(cluster.patroni_role(i) == "replica" for i in range(len(PG))) == 2
            and len(cluster.sync_standby()) == 1,
            timeout=180,
        )
        say(f"PostgreSQL: leader pg{cluster.leader()}, synchronous standby {cluster.sync_standby()}")
        cluster.start_haproxy()
        # Through HAProxy to a server that takes writes; the database is made once, tried again
        # while the leader still refuses it (a moment after its election, say).
        wait_for("HAProxy to the leader", lambda: psql("SELECT pg_is_in_recovery()", db="postgres") == [["f"]])
        wait_for("the platform's database", create_database)
        for i in range(len(NATS)):
            cluster.start_nats(i)
        wait_for("the NATS cluster with JetStream", lambda: create_stream() is None, timeout=60, every=1)
        say("NATS: three servers, stream GRASSROOTS with three replicas")

        cluster.grassroots("demo", "--no-serve")
        backlog = os.path.join(work, "backlog.csv")
        write_backlog(binary, backlog)
        cluster.grassroots("import", "cases", backlog, "--mapping", backlog.replace(".csv", ".mapping.json"))
        backlog_due = time.time() + 80
        say(f"store: the demo, and {BACKLOG} open emergency cases falling overdue in the next 80 s")
        for i in range(len(WEB)):
            cluster.start_web(i)
        wait_for("HAProxy to the servers", lambda: http_get(f"http://127.0.0.1:{WEB_FRONT}/healthz")[0] == 200)
        say("three grassroots servers behind HAProxy")

        answers_path = os.path.join(work, "answers.tsv")
        loader = subprocess.Popen(
            [sys.executable, __file__, "load", f"http://127.0.0.1:{WEB_FRONT}", answers_path],
            stdin=subprocess.PIPE,
        )
        kills = []
        login = urllib.request.Request(
            f"http://127.0.0.1:{WEB_FRONT}/api/v1/auth/login",
            data=json.dumps({"username": "admin", "password": "grassroots-demo"}).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(login, timeout=10) as answer:
            token = json.loads(answer.read())["token"]

        def figures():
            """The district's three rates, read from a standby while it is within its bound."""
            request = urllib.request.Request(
                f"http://127.0.0.1:{WEB_FRONT}/api/v1/stats/rates", headers={"authorization": f"Bearer {token}"}
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status == 200 and "dispatched" in json.loads(answer.read())["counts"]

        def acked_since(t):
            with open(answers_path) as f:
                return sum(1 for line in f if line.split("\t")[1] == "201" and float(line.split("\t")[0]) > t)

        def kill(what, name):
            time.sleep(STEADY)
            at = time.time()
            cluster.kill(name)
            say(f"killed {what} ({name})")
            wait_for(f"acknowledged reports after killing {what}", lambda: acked_since(at + 0.5) > 20, timeout=180)
            wait_for(f"the figures answering after killing {what}", figures, timeout=60)
            kills.append((what, at))

        time.sleep(2)
        leader = cluster.leader()
        kill("the PostgreSQL leader", f"patroni{leader}")
        wait_for("a new leader", lambda: cluster.leader() not in (None, leader))
        say(f"PostgreSQL: new leader pg{cluster.leader()}")
        kill("a grassroots server", "web1")
        kill("a NATS server", "nats2")
        time.sleep(STEADY)
        loader.communicate(b"")
        ended = time.time()

        answers = []
        with open(answers_path) as f:
            for line in f:
                t, status, case = line.rstrip("\n").split("\t")
                answers.append((float(t), int(status), case))
        acked = {case for _, status, case in answers if status == 201}
        refused = {}
        for _, status, _ in answers:
            if status != 201:
                refused[status] = refused.get(status, 0) + 1
        say(f"load: {len(acked)} reports acknowledged; refused or unanswered (0: no answer): {refused}")
        retried = sum(1 for _, status, _ in answers if status in (0, 502, 503))

        say("waiting for the relay and the deadline worker to catch up")
        time.sleep(max(0.0, backlog_due + 1 - time.time()))
        wait_for(
            "every event delivered to NATS",
            lambda: psql("SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0] == "0"
            and psql("SELECT count(*) FROM deliveries WHERE target = 'nats' AND delivered_at IS NULL")[0][0] == "0",
            timeout=300,
            every=2,
        )
        wait_for(
            "every overdue case of the backlog marked",
            lambda: psql(UNMARKED)[0][0] == "0",
            timeout=300,
            every=2,
        )

        stored = {row[0] for row in psql("SELECT id FROM cases WHERE description LIKE '集群测试 %'")}
        lost = acked - stored
        assert not lost, f"{len(lost)} acknowledged reports are missing: {sorted(lost)[:5]}"
        twice = psql(
            "SELECT description, count(*) FROM cases WHERE description LIKE '集群测试 %' "
            "GROUP BY description HAVING count(*) > 1"
        )
        assert not twice, f"{len(twice)} reports, sent again with their key, stored twice: {twice[:5]}"

        replica_read = False
        for i in range(len(WEB)):
            with open(os.path.join(work, f"web{i}.log"), errors="replace") as f:
                replica_read = replica_read or "figures are read from the replica" in f.read()
        assert replica_read, "no server read its figures from a standby"

        broken = psql(
            "SELECT c.id, c.version, count(e.seq), min(e.seq), max(e.seq) FROM cases c "
            "JOIN events e ON e.aggregate_type = 'case' AND e.aggregate_id = c.id "
            "GROUP BY c.id, c.version HAVING count(e.seq) <> c.version OR min(e.seq) <> 1 OR max(e.seq) <> c.version"
        )
        assert not broken, f"{len(broken)} cases whose events are not 1..version: {broken[:5]}"
        event_count = int(psql("SELECT count(*) FROM events WHERE aggregate_type = 'case'")[0][0])

        marks = psql(
            "SELECT aggregate_id, payload FROM events WHERE aggregate_type = 'case' AND kind = 'due_status_changed' "
            "ORDER BY aggregate_id, seq"
        )
        seen, twice = set(), []
        for case, payload in marks:
            key = (case, json.dumps(json.loads(payload), sort_keys=True))
            if key in seen:
                twice.append(key)
            seen.add(key)
        assert not twice, f"deadline marks made twice: {twice[:5]}"
        marked_during = int(psql(
            "SELECT count(*) FROM events WHERE kind = 'due_status_changed' AND at >= "
            f"{int(kills[0][1] * 1000)}"
        )[0][0])
        assert marked_during > 0, "the deadline worker marked nothing while the kills happened"
        backlog_overdue = int(psql(
            "SELECT count(DISTINCT e.aggregate_id) FROM events e JOIN cases c ON c.id = e.aggregate_id "
            "WHERE e.aggregate_type = 'case' AND e.kind = 'due_status_changed' AND e.payload LIKE '%overdue%' "
            "AND c.description LIKE '集群测试积压件%'"
        )[0][0])
        assert backlog_overdue == BACKLOG, f"{BACKLOG - backlog_overdue} cases of the backlog never marked overdue"

        outbox = {row[0] for row in psql("SELECT event_id FROM outbox")}
        doubled = psql("SELECT event_id FROM deliveries WHERE target = 'nats' GROUP BY event_id HAVING count(*) > 1")
        assert not doubled, f"events with two NATS deliveries: {doubled[:5]}"
        delivered = {row[0] for row in psql("SELECT event_id FROM deliveries WHERE target = 'nats'")}
        assert delivered == outbox, f"{len(outbox - delivered)} outbox events without a NATS delivery"
        messages, replicas = check_nats(outbox)

        say("checked:")
        say(f"  {len(acked)} acknowledged reports all stored, none twice after {retried} answers of busy "
            f"or none, each sent again with its key; "
            f"{len(stored) - len(acked)} more stored whose answer was lost at a kill and not retried before the end")
        say(f"  {event_count} case events, every case's run 1..version unbroken")
        say(f"  {len(marks)} deadline marks, none twice; {marked_during} made after the first kill, "
            f"the backlog's {BACKLOG} overdue marks among them")
        say(f"  {messages} messages in the stream (replicas: {replicas}), one per outbox event")
        say("outages (longest time without an acknowledged report after each kill):")
        bounds = [at for _, at in kills] + [ended]
        for (what, at), until in zip(kills, bounds[1:]):
            say(f"  {what}: {longest_gap(answers, at, until):.1f} s")
        print("cluster: passed")
    finally:
        cluster.stop()
        if os.environ.get("GRASSROOTS_CLUSTER_KEEP"):
            say("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run")
    r.add_argument("--bin", required=True, help="the grassroots binary (its examples/legacy_cases beside it)")
    ld = sub.add_parser("load")
    ld.add_argument("url")
    ld.add_argument("out")
    ld.add_argument("--clients", type=int, default=8)
    ld.add_argument("--rate", type=float, default=100.0)
    args = parser.parse_args()
    if args.command == "run":
        run(os.path.abspath(args.bin))
    else:
        load(args.url, args.out, args.clients, args.rate)


if __name__ == "__main__":
    main()
