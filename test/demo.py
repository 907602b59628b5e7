#!/usr/bin/env python3
"""make demo: a throwaway cluster with sms_api preloaded, the bundled API
simulator, one message sent with sms_api.sms_send() (the returned row
shown), one queued with sms_api.sms_queue() and sent by the worker at
commit, the statuses the worker polled, the same through Reach
(reach_send, and a row queued with provider => 'reach'), a Directcall voice
call and an SMS campaign queued for Directcall, and everything stopped
again."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DEMO_SQL = r"""
\set ECHO queries
CREATE EXTENSION sms_api;
-- refused before any request: not 10-15 digits
SELECT * FROM sms_api.sms_send('+55 11 90000-0001', 'Hello from PostgreSQL');
-- sent through the simulator
SELECT * FROM sms_api.sms_send('+5511900000001', 'Hello from PostgreSQL', correlation_id => 'demo-1');
-- queued in a transaction: the worker sends it once the transaction commits
BEGIN;
SELECT sms_api.sms_queue('5511900000002', 'Order 42 shipped', 'order-42') AS outbox_id;
COMMIT;
-- the worker polls the statuses into sms_api.message_status by itself
SELECT pg_sleep(1.5);
SELECT outbox_id, destination, correlation_id, state, sent_status, delivered_status, final, success
  FROM sms_api.delivery;
SELECT correlation_id, sent_status, delivered_status FROM sms_api.message_status ORDER BY correlation_id;
-- Reach: a signed send, the answer merged into sms_api.reach_message
SELECT message_id, msisdn, status, message, created_on FROM sms_api.reach_send('+50235148163', 'Hola desde PostgreSQL', 'demo-2');
-- queued for Reach: same outbox, provider => 'reach'
SELECT sms_api.sms_queue('50235148164', 'Pedido 43 enviado', 'order-43', provider => 'reach') AS outbox_id;
SELECT pg_sleep(1);
SELECT outbox_id, provider, destination, state, sent_status FROM sms_api.delivery ORDER BY outbox_id;
-- Directcall: a voice call (text-to-speech) to two numbers, one multipart request
SELECT * FROM sms_api.directcall_send(ARRAY['5541999990001', '+5541999990002'], 'Olá, aqui é o plantão');
-- an SMS campaign through the outbox: rows with the same text share one request's CSV
SELECT count(sms_api.sms_queue('55419000000' || g, 'Promoção de Natal', provider => 'directcall')) AS queued
  FROM generate_series(10, 14) g;
SELECT pg_sleep(1);
SELECT provider, state, count(*), count(DISTINCT provider_ref) AS requests
  FROM sms_api.outbox WHERE provider = 'directcall' GROUP BY 1, 2;
"""


def main():
    root, sim, cluster = harness.simulator_and_cluster(
        "sms_api_demo.", {"sms_api.status_poll_interval_ms": 500})
    try:
        print("Simulator: %s (user %s, token in %s)"
              % (sim.http, sim.username, cluster.settings["sms_api.token_file"]))
        cluster.init().start()
        print("Cluster: port %d, socket in %s, shared_preload_libraries = 'sms_api'"
              % (cluster.port, root))
        cmd = [a for a in cluster.psql_cmd() if a not in ("-q", "-A", "-t", "-v", "ON_ERROR_STOP=1")]
        subprocess.run(cmd, input=DEMO_SQL, text=True, check=True)
        print("\nWhat the simulator received:")
        subprocess.run([sys.executable, os.path.join(harness.REPO, "test", "simctl"),
                        "requests", "--fields", "method,path,auth,body"],
                       env=dict(os.environ, SIM_URL=sim.http), check=True)
    finally:
        cluster.stop()
        sim.stop()
        subprocess.run(["rm", "-rf", root])
    print("\nStopped the cluster and the simulator.")


if __name__ == "__main__":
    main()
