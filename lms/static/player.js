// The course video player: HLS through hls.js (served by this site) where the browser has Media
// Source Extensions, native HLS elsewhere (iPhone).
//
// For a learner it also runs a verified playback (rules §4): it starts one on the server, sends
// a heartbeat every few seconds and on every change (play, pause, hidden, ended), and shows what
// the server verified. The server's clock decides what counts; this script only keeps an honest
// learner from losing time: it pauses when the page is hidden or the network is gone, undoes
// forward seeks past the verified point on first viewing, offers only speeds that count, and
// shows the presence check and the "playing elsewhere" notice.
(() => {
  const box = document.querySelector(".player");
  if (!box) return;
  const video = box.querySelector("video");
  const message = box.querySelector(".player-message");
  const text = box.dataset;
  const say = (words) => { message.textContent = words || ""; };

  function load(resumeAt) {
    video.addEventListener("loadedmetadata", () => {
      if (resumeAt > 1) video.currentTime = resumeAt;
    }, { once: true });
    const src = box.dataset.src;
    if ("MediaSource" in window || "ManagedMediaSource" in window) {
      const script = document.createElement("script");
      script.src = box.dataset.hls;
      script.onload = () => (window.Hls && window.Hls.isSupported() ? withHlsJs(src) : (video.src = src));
      script.onerror = () => {
        if (video.canPlayType("application/vnd.apple.mpegurl")) video.src = src;
        else say(text.textUnsupported);
      };
      document.head.append(script);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = src;
    } else {
      say(text.textUnsupported);
    }
  }

  function withHlsJs(src) {
    const hls = new window.Hls({ capLevelToPlayerSize: true });
    hls.on(window.Hls.Events.ERROR, (event, data) => {
      if (!data.fatal) return;
      if (data.response && data.response.code === 410) {
        say(text.textExpired);
      } else if (data.type === window.Hls.ErrorTypes.NETWORK_ERROR) {
        setTimeout(() => hls.startLoad(), 2000);
      } else if (data.type === window.Hls.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
      } else {
        say(text.textUnsupported);
      }
    });
    hls.loadSource(src);
    hls.attachMedia(video);
    box.hls = hls;
  }

  if (!box.dataset.startUrl) {  // a preview: nothing is verified
    load(0);
    return;
  }

  // --- verified playback ----------------------------------------------------------------------

  const bar = box.querySelector(".player-verified");
  const progressText = box.querySelector(".player-progress");
  const speedSelect = box.querySelector(".player-speed select");
  const presence = box.querySelector(".presence");
  const state = {
    playback: null, seq: 0, furthest: 0, reached: 0, complete: false, maxSpeed: 1,
    sending: false, again: false, offline: false, resumeOnline: false, stopped: false,
    answer: null,  // the learner's answer to the presence check, until a heartbeat carries it
  };

  async function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf },
      body: JSON.stringify(body || {}),
    });
  }

  const clockText = (seconds) => {
    const s = Math.floor(seconds);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  };

  function show(covered, duration) {
    const percent = duration ? Math.min(100, Math.floor((covered * 100) / duration)) : 0;
    bar.value = percent;
    progressText.textContent = text.textProgress
      .replace("{covered}", clockText(covered))
      .replace("{duration}", clockText(duration))
      .replace("{percent}", percent) + (state.complete ? ` ${text.textComplete}` : "");
  }

  // How far the learner may go on first viewing: what the server verified, or what this page
  // has just played through without seeking (the server has not heard of it yet).
  const allowed = () => Math.max(state.furthest, state.reached);

  function stop(words) {
    state.stopped = true;
    video.pause();
    presence.hidden = true;
    say(words);
  }

  async function beat() {
    if (!state.playback || state.stopped) return;
    if (state.sending) { state.again = true; return; }
    state.sending = true;
    const answer = state.answer;
    const report = {
      playback: state.playback,
      seq: ++state.seq,
      position: video.currentTime || 0,
      playing: !video.paused && !video.ended,
      visible: !document.hidden,
    };
    if (answer) report.presence_answer = answer;
    try {
      const response = await post(box.dataset.heartbeatUrl, report);
      // Logged out, the playback gone, or a page too old for the server: only a reload helps.
      if ([400, 401, 403, 404].includes(response.status)) return stop(text.textLost);
      if (!response.ok) throw new Error(String(response.status));
      if (answer === state.answer) state.answer = null;
      heard(await response.json(), answer);
    } catch (error) {
      // Nothing can be verified without the server: pause, and keep trying.
      if (!state.offline) {
        state.offline = true;
        state.resumeOnline = !video.paused;
        video.pause();
        say(text.textOffline);
      }
      setTimeout(() => beat(), 5000);
    } finally {
      state.sending = false;
      if (state.again) { state.again = false; beat(); }
    }
  }

  function heard(answer, sentAnswer) {
    if (state.offline) {
      state.offline = false;
      say("");
      if (state.resumeOnline && !answer.presence_question) video.play().catch(() => {});
    }
    if (!answer.active) return stop(text.textElsewhere);
    state.furthest = answer.furthest;
    state.complete = answer.complete;
    show(answer.covered, answer.duration);
    if (answer.course_credited) say(text.textCredited);
    if (answer.presence_question) {
      ask(answer.presence_question, Boolean(sentAnswer));
    } else if (!presence.hidden) {
      presence.hidden = true;
      video.play().catch(() => {});
    }
    // The server did not follow (a seek it refused, a long silence): go back to what it has.
    const refused = ["ahead", "too_fast", "silence"].includes(answer.verdict);
    if (!state.complete && refused && video.currentTime > state.furthest + 3) {
      state.reached = state.furthest;
      video.currentTime = state.furthest;
      say(text.textNoSkip);
    }
  }

  function ask(question, wasWrong) {
    video.pause();
    presence.querySelector(".presence-question").textContent = question;
    presence.querySelector(".presence-error").textContent = wasWrong ? text.textWrong : "";
    if (presence.hidden) {
      presence.hidden = false;
      presence.elements.answer.value = "";
      presence.elements.answer.focus();
    }
  }

  presence.addEventListener("submit", (event) => {
    event.preventDefault();
    const answer = presence.elements.answer.value.trim();
    presence.elements.answer.value = "";
    if (answer) {
      state.answer = answer;
      beat();
    }
  });

  let last = 0;
  video.addEventListener("timeupdate", () => {
    const now = video.currentTime;
    if (!video.seeking && now > last && now - last < 2) state.reached = Math.max(state.reached, now);
    last = now;
  });
  video.addEventListener("seeking", () => {
    if (!state.complete && video.currentTime > allowed() + 1) {
      video.currentTime = allowed();
      say(text.textNoSkip);
    }
  });
  video.addEventListener("play", () => {
    if (state.stopped || !presence.hidden) video.pause();
    else beat();
  });
  for (const change of ["pause", "ended", "seeked"]) video.addEventListener(change, () => beat());
  video.addEventListener("ratechange", () => {
    if (video.playbackRate > state.maxSpeed) {
      video.playbackRate = 1;
      speedSelect.value = "1";
      say(text.textSpeed);
    }
  });
  speedSelect.addEventListener("change", () => { video.playbackRate = Number(speedSelect.value); });

  document.addEventListener("visibilitychange", () => {
    if (document.hidden && !video.paused) {
      video.pause();
      say(text.textHidden);
    }
    beat();
  });

  post(box.dataset.startUrl).then(async (response) => {
    if (!response.ok) return stop(text.textLost);
    const started = await response.json();
    Object.assign(state, {
      playback: started.playback, furthest: started.furthest, reached: started.furthest,
      complete: started.complete, maxSpeed: Math.max(...started.speeds),
    });
    for (const speed of started.speeds) {
      speedSelect.append(new Option(`${speed}×`, String(speed), speed === 1, speed === 1));
    }
    show(started.covered, started.duration);
    load(started.resume_at);
    setInterval(() => beat(), started.heartbeat_seconds * 1000);
  }).catch(() => say(text.textOffline));
})();
