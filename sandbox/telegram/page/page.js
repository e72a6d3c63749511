// The sandbox's Telegram page: play a visitor in a private chat with the bot, and an
// operator in the operators' forum group. Everything goes through the fake's control
// routes (same origin, JSON); text is rendered with DOM APIs only.
"use strict";
(function () {
  var OPERATORS = -1001000000001;
  var last = 0;
  var events = [];
  var state = { topics: {}, drafts: [] };
  var $ = function (id) { return document.getElementById(id); };

  function call(method, path, body) {
    var init = { method: method, headers: { "Content-Type": "application/json" } };
    if (body !== undefined) init.body = JSON.stringify(body);
    return fetch(path, init).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || r.statusText);
        return data;
      });
    });
  }

  function user() {
    return { id: Number($("user-id").value), first_name: $("user-name").value || "Visitor",
             language_code: $("user-lang").value };
  }
  function operator() { return { id: Number($("op-id").value), first_name: "Operator" }; }
  function say(body) {
    return call("POST", "/_sandbox/telegram/updates", body).catch(function (e) {
      $("status").textContent = e.message;
    });
  }

  // A message's text with its links (the bot sends <a href> in HTML) as real links.
  function render(li, e) {
    li.textContent = e.text || "";
    if (!e.html) return;
    var re = /<a\s+href="([^"]*)"\s*>/g, m;
    while ((m = re.exec(e.html))) {
      var href = m[1].replace(/&amp;/g, "&").replace(/&quot;/g, '"');
      if (!/^https?:\/\//i.test(href)) continue;
      var a = document.createElement("a");
      a.href = href; a.textContent = href; a.target = "_blank"; a.rel = "noopener noreferrer";
      li.appendChild(document.createElement("br"));
      li.appendChild(a);
    }
  }

  function item(e) {
    var li = document.createElement("li");
    li.className = e.dir === "in" ? "in" : "out";
    if (e.kind === "sticker") li.textContent = "[sticker]";
    else if (e.kind === "voice") li.textContent = "[voice]";
    else if (e.kind === "contact") li.textContent = "[contact] " + e.text;
    else if (e.kind === "callback") li.textContent = "[pressed] " + e.text;
    else if (e.kind === "topic") { li.className = "note"; li.textContent = "Topic opened: " + e.text; }
    else if (e.kind === "topic_closed") { li.className = "note"; li.textContent = "Topic closed"; }
    else render(li, e);
    if (e.kind === "edit" || e.kind === "edited") li.title = "edited";
    return li;
  }

  function visible(e, chatId, threadId) {
    if (e.chat_id !== chatId) return false;
    if (e.kind === "draft" || e.kind === "action" || e.kind === "callback_answer") return false;
    return threadId === undefined || e.thread_id === threadId;
  }

  // Edits replace the message they edit; the log shows each message once, as it is now.
  function collapse(list) {
    var byId = {}, out = [];
    list.forEach(function (e) {
      var key = e.dir + ":" + e.message_id;
      if (e.message_id && e.kind === "edit" && byId[key]) { byId[key].text = e.text; byId[key].html = e.html; return; }
      var copy = Object.assign({}, e);
      if (e.message_id) byId[key] = copy;
      out.push(copy);
    });
    return out;
  }

  function draw() {
    var me = user().id;
    var log = $("visitor-log");
    log.replaceChildren.apply(log, collapse(events.filter(function (e) { return visible(e, me); })).map(item));
    log.scrollTop = log.scrollHeight;
    var draft = state.drafts.filter(function (d) { return d.chat_id === me; }).pop();
    $("visitor-draft").hidden = !draft;
    $("visitor-draft").textContent = draft ? (draft.text || "…") + " ✎" : "";
    keys(me);
    var select = $("op-topic"), chosen = select.value;
    var topics = state.topics[String(OPERATORS)] || [];
    select.replaceChildren.apply(select, topics.map(function (t) {
      var o = document.createElement("option");
      o.value = String(t.message_thread_id);
      o.textContent = t.name + (t.closed ? " (closed)" : "");
      return o;
    }));
    if (chosen) select.value = chosen;
    var thread = Number(select.value) || undefined;
    var ops = $("ops-log");
    var inGroup = events.filter(function (e) {
      return visible(e, OPERATORS) && (thread === undefined || e.thread_id === thread ||
        (e.kind === "topic" && e.thread_id === thread));
    });
    ops.replaceChildren.apply(ops, collapse(inGroup).map(item));
    ops.scrollTop = ops.scrollHeight;
  }

  // The reply keyboard or inline buttons of the bot's last message in the visitor's chat.
  function keys(me) {
    var box = $("visitor-keys");
    var mine = events.filter(function (e) { return e.chat_id === me && e.dir === "out" && e.message_id; });
    var lastMsg = mine[mine.length - 1];
    var markup = lastMsg && lastMsg.reply_markup;
    var buttons = [];
    if (markup && markup.keyboard) {
      markup.keyboard.forEach(function (row) { row.forEach(function (b) {
        var text = typeof b === "string" ? b : b.text;
        buttons.push(button(text, function () {
          if (b.request_contact) {
            var phone = window.prompt("Phone number to share", "+79161234567");
            if (phone) say({ user: user(), contact: { phone_number: phone } });
          } else say({ user: user(), text: text });
        }));
      }); });
    }
    if (markup && markup.inline_keyboard) {
      markup.inline_keyboard.forEach(function (row) { row.forEach(function (b) {
        if (b.callback_data) buttons.push(button(b.text, function () {
          say({ user: user(), callback: { message_id: lastMsg.message_id, data: b.callback_data } });
        }));
      }); });
    }
    box.replaceChildren.apply(box, buttons);
  }

  function button(text, onclick) {
    var b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.addEventListener("click", onclick);
    return b;
  }

  function poll() {
    call("GET", "/_sandbox/telegram/timeline?after=" + last).then(function (data) {
      if (data.last < last) events = []; // the sandbox was reset
      events = events.concat(data.events).slice(-2000);
      last = data.last;
      state.topics = data.topics; state.drafts = data.drafts;
      var hook = data.webhook && data.webhook.url;
      $("status").textContent = hook ? "Updates go to the webhook " + hook : "Updates wait for getUpdates (polling)";
      draw();
    }).catch(function (e) { $("status").textContent = "Sandbox unreachable: " + e.message; })
      .then(function () { setTimeout(poll, 700); });
  }

  $("visitor-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("visitor-text").value.trim();
    if (!text) return;
    $("visitor-text").value = "";
    say({ user: user(), text: text });
  });
  $("visitor-sticker").addEventListener("click", function () { say({ user: user(), sticker: true }); });
  $("ops-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("ops-text").value.trim(), thread = Number($("op-topic").value);
    if (!text || !thread) return;
    $("ops-text").value = "";
    say({ user: operator(), chat: OPERATORS, thread_id: thread, text: text });
  });
  $("ops-done").addEventListener("click", function () {
    var thread = Number($("op-topic").value);
    if (thread) say({ user: operator(), chat: OPERATORS, thread_id: thread, text: "/done" });
  });
  ["user-id", "op-topic"].forEach(function (id) { $(id).addEventListener("change", draw); });
  poll();
})();
