// The load generator of bench/exam.py: LEARNERS simulated learners sit an exam at once, each
// saving one answer every INTERVAL milliseconds, as the paper's autosave does (lms/static/
// exam.js): a JSON POST {key, options} with the learner's own login cookie and CSRF header.
//
// The load is open: every learner's saves are sent on its own timer (a random phase, then one
// every interval) whether or not the server has answered the one before, as a browser does, so
// a slow server meets the same arrivals and its queueing shows in the latencies. Each save
// opens its own connection (gunicorn closes idle keep-alive connections after 2 s, long before
// a learner's next save). Saves sent during the WARMUP seconds are not measured; after
// SECONDS more no new save is sent, and the ones in flight are awaited.
//
// Each learner answers a random question of its paper with a random choice of the question's
// own options (one, or for a multiple-choice question one or more). "expected" is, per attempt,
// the last choice the server accepted for every question, to compare with what it stored.
//
//   node bench/exam_load.mjs config.json
//   config: {port, path ("/ping", or null for each learner's save URL), interval_ms, seconds,
//            warmup, learners: [{cookie, csrf, attempt, questions: [{key, type, options}]}]}
import http from "node:http";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

function post(path, payload, learner) {
  return new Promise((resolve) => {
    const request = http.request({
      agent, host: "127.0.0.1", port: config.port, path, method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(payload),
        Cookie: learner.cookie,
        "X-CSRFToken": learner.csrf,
      },
    }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    request.on("error", (error) => resolve({ status: 0, text: String(error) }));
    request.end(payload);
  });
}

function choose(question) {
  const ids = question.options;
  if (question.type !== "multiple") return [ids[Math.floor(Math.random() * ids.length)]];
  const picked = ids.filter(() => Math.random() < 0.5);
  return picked.length ? picked : [ids[0]];
}

const latencies = [];
const statuses = {};
const samples = {};  // a few bodies of failed answers, by status
const expected = {};  // attempt id → {key: sorted options}, the last save the server accepted
let sent = 0;
let answered = 0;  // every answer, warm-up included (the CPU figures cover the warm-up too)
let inFlight = 0;
let maxInFlight = 0;
let measuring = false;
let stopping = false;
const pending = new Set();

async function save(learner) {
  if (stopping) return;
  const question = learner.questions[Math.floor(Math.random() * learner.questions.length)];
  const options = choose(question);
  const path = config.path || `/exam/attempts/${learner.attempt}/answers`;
  const measured = measuring;
  const order = ++learner.sent;
  sent++;
  inFlight++;
  maxInFlight = Math.max(maxInFlight, inFlight);
  const began = performance.now();
  const answer = await post(path, JSON.stringify({ key: question.key, options }), learner);
  const took = performance.now() - began;
  inFlight--;
  answered++;
  if (answer.status === 200 && order > (learner.accepted[question.key] || 0)) {
    learner.accepted[question.key] = order;
    (expected[learner.attempt] ||= {})[question.key] = [...options].sort();
  }
  if (answer.status !== 200) {
    const bodies = (samples[answer.status] ||= []);
    if (bodies.length < 3) bodies.push(answer.text.slice(0, 300));
  }
  if (measured) {
    latencies.push(took);
    statuses[answer.status] = (statuses[answer.status] || 0) + 1;
  }
}

function fire(learner) {
  const done = save(learner);
  pending.add(done);
  done.then(() => pending.delete(done));
}

const timers = [];
for (const learner of config.learners) {
  learner.sent = 0;
  learner.accepted = {};
  const phase = Math.random() * config.interval_ms;
  timers.push(setTimeout(() => {
    fire(learner);
    timers.push(setInterval(() => fire(learner), config.interval_ms));
  }, phase));
}
await new Promise((r) => setTimeout(r, config.warmup * 1000));
measuring = true;
const began = performance.now();
await new Promise((r) => setTimeout(r, config.seconds * 1000));
measuring = false;
const elapsed = (performance.now() - began) / 1000;
stopping = true;
for (const timer of timers) clearTimeout(timer);  // clears intervals too
await Promise.all([...pending]);

latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
const ok = statuses[200] || 0;
console.log(JSON.stringify({
  requests: latencies.length,
  sent,
  answered,
  errors: latencies.length - ok,
  statuses,
  samples,
  rps: latencies.length / elapsed,
  p50_ms: at(0.5),
  p95_ms: at(0.95),
  p99_ms: at(0.99),
  max_ms: latencies[latencies.length - 1],
  max_in_flight: maxInFlight,
  expected: config.path ? {} : expected,
}));
