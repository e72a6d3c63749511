/*! kbsync chat widget — plain JS, no dependencies, no build step.
 * <script src="https://relay.example/widget.js" data-api="https://relay.example/api" defer></script>
 * Model and user text reach the page through DOM text nodes only (never as HTML).
 */
(function () {
  'use strict';
  if (window.KbChat) return;
  var doc = document;
  var script = doc.currentScript || doc.querySelector('script[src*="widget.js"]');
  var ds = (script && script.dataset) || {};
  var conf = window.KbChatConfig || {};
  function opt(k, d) {
    var v = conf[k] != null ? conf[k] : ds[k];
    return v == null || v === '' ? d : v;
  }

  var STR = {
    en: {
      title: 'Ask us', open: 'Open chat', close: 'Close chat', newChat: 'New chat',
      greeting: 'Hello! Ask me a question and I will answer from our documents.',
      placeholder: 'Type your question…', input: 'Your question', send: 'Send', stop: 'Stop',
      retry: 'Retry', log: 'Conversation', you: 'You:', bot: 'Assistant:', sources: 'Sources:',
      thinking: 'Answering…', stopped: 'Stopped.',
      rate: 'Too many questions in a short time. Please wait {wait} and try again.',
      rateSoon: 'Too many questions in a short time. Please wait a moment and try again.',
      sec: '{n} s', min: '{n} min',
      offline: 'Cannot reach the assistant. Check your connection and try again.',
      lost: 'The connection was lost, so the answer is incomplete.',
      busy: 'The assistant is busy right now. Please try again in a moment.',
      locked: 'The previous answer in this chat is still being written. Please wait a moment and try again.',
      quota: 'The assistant is temporarily unavailable. Please try again later.',
      cut: 'The answer was cut short: it reached its length limit.',
      filtered: 'The answer was cut short by the content filter.',
      fresh: 'New conversation',
      tooLong: 'Your message is too long. Please shorten it.',
      failed: 'Something went wrong. Please try again.',
      up: 'Helpful', down: 'Not helpful', wrong: 'Wrong', unhelpful: 'Unhelpful',
      outdated: 'Outdated', other: 'Other',
      lead: 'Leave a request', name: 'Name', phone: 'Phone', email: 'E-mail', comment: 'Comment',
      agree: 'Please agree to send.',
      privacy: 'Privacy policy', sent: 'Thank you! We will be in touch.',
      human: 'Talk to a person', wait: 'A person will reply.'
    },
    ru: {
      title: 'Задайте вопрос', open: 'Открыть чат', close: 'Закрыть чат', newChat: 'Новый чат',
      greeting: 'Здравствуйте! Задайте вопрос — я отвечу по нашим материалам.',
      placeholder: 'Введите вопрос…', input: 'Ваш вопрос', send: 'Отправить', stop: 'Остановить',
      retry: 'Повторить', log: 'Переписка', you: 'Вы:', bot: 'Ассистент:', sources: 'Источники:',
      thinking: 'Отвечаю…', stopped: 'Остановлено.',
      rate: 'Слишком много вопросов за короткое время. Подождите {wait} и попробуйте снова.',
      rateSoon: 'Слишком много вопросов за короткое время. Подождите немного и попробуйте снова.',
      sec: '{n} с', min: '{n} мин',
      offline: 'Не удаётся связаться с ассистентом. Проверьте подключение и попробуйте снова.',
      lost: 'Соединение прервалось, ответ получен не полностью.',
      busy: 'Ассистент сейчас занят. Попробуйте через минуту.',
      locked: 'Предыдущий ответ в этом чате ещё пишется. Подождите немного и попробуйте снова.',
      quota: 'Ассистент временно недоступен. Попробуйте позже.',
      cut: 'Ответ оборван: он достиг предельной длины.',
      filtered: 'Ответ оборван фильтром содержимого.',
      fresh: 'Новая беседа',
      tooLong: 'Сообщение слишком длинное. Сократите его, пожалуйста.',
      failed: 'Что-то пошло не так. Попробуйте ещё раз.',
      up: 'Полезно', down: 'Бесполезно', wrong: 'Неверно', unhelpful: 'Не помогло',
      outdated: 'Устарело', other: 'Другое',
      lead: 'Оставить заявку', name: 'Имя', phone: 'Телефон', email: 'E-mail', comment: 'Комментарий',
      agree: 'Чтобы отправить, дайте согласие.',
      privacy: 'Политика конфиденциальности', sent: 'Спасибо! Мы свяжемся с вами.',
      human: 'Позвать человека', wait: 'Ответит человек.'
    }
  };

  // kbcore/errorcodes.py's table (a test keeps it equal)
  var CODES = /*codes*/{"new":"invalid_conversation conversation_expired conversation_full conversation_not_found conversation_replayed","rate":"rate_limited too_many_streams budget_exhausted upstream_rate_limited","locked":"conversation_busy","busy":"at_capacity not_ready upstream_error upstream_unavailable upstream_timeout vector_store_missing upstream_incomplete","quota":"upstream_quota","tooLong":"message_too_long body_too_large","failed":"bad_request invalid_body empty_message unsupported_media_type origin_not_allowed forbidden not_found method_not_allowed upstream_rejected relay_error internal_error"}/*codes*/;
  var ACT = {};
  Object.keys(CODES).forEach(function (k) { CODES[k].split(' ').forEach(function (c) { ACT[c] = k; }); });

  var lang = String(opt('lang', doc.documentElement.lang || navigator.language || 'en'))
    .slice(0, 2).toLowerCase();
  if (!STR[lang]) lang = 'en';
  var over = opt('i18n', null);
  if (typeof over === 'string') {
    try { over = JSON.parse(over); } catch (e) { over = null; }
  }
  if (over && (typeof over.en === 'object' || typeof over.ru === 'object')) over = over[lang];
  var T = Object.assign({}, STR[lang], over || {});
  ['title', 'greeting', 'placeholder'].forEach(function (k) { T[k] = opt(k, T[k]); });
  function t(k, vars) {
    return String(T[k]).replace(/\{(\w+)\}/g, function (_, n) { return vars[n]; });
  }

  var base = script && script.src ? script.src : location.href;
  var api = new URL(opt('api', new URL('/api', base).href), location.href).href.replace(/\/+$/, '');
  var mode = opt('mode', 'bubble');
  var target = mode === 'inline' && doc.querySelector(opt('target', '#kbchat'));
  if (mode === 'inline' && !target) mode = 'bubble';
  if (mode !== 'inline' && mode !== 'fullscreen') mode = 'bubble';
  var KEY = 'kbchat:' + api;

  // ---- state -------------------------------------------------------------------------------
  var stored = {};
  try { stored = JSON.parse(localStorage.getItem(KEY)) || {}; } catch (e) { /* private mode */ }
  var token = stored.token || null;
  var msgs = (Array.isArray(stored.msgs) ? stored.msgs : []).filter(function (m) {
    return m && /^[uanf]$/.test(m.r) && typeof m.t === 'string' && (m.r !== 'f' || m.f);
  });
  var isOpen = mode !== 'bubble' || !!stored.open;
  var cfg = stored.cfg || {}; // from GET /api/ping
  var ctl = null, hs, hn = 0, ht;
  var nodes = new WeakMap();
  msgs.forEach(function (m) {
    // A reload in the middle of an answer: keep what arrived and offer Retry.
    if (m.st === 'live') { m.st = 'err'; m.err = { k: m.t ? 'lost' : 'failed' }; }
    if (m.st === 'err' && !(m.err && T[m.err.k])) m.err = { k: 'failed' };
    if (m.r === 'a' && !Array.isArray(m.src)) m.src = [];
    if (m.cut) m.cut = m.cut === 'filtered' ? m.cut : 'cut';
    m.busy = false;
  });
  function save() {
    try {
      localStorage.setItem(KEY, JSON.stringify({ token: token, msgs: msgs.slice(-60), open: isOpen, cfg: cfg }));
    } catch (e) { /* quota or private mode: the chat still works, it just won't survive */ }
  }

  // ---- DOM helpers (text only, never HTML) --------------------------------------------------
  function el(tag, attrs, kids) {
    var e = doc.createElement(tag);
    for (var k in attrs) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    (kids || []).forEach(function (c) { if (c != null && c !== false) e.append(c); });
    return e;
  }
  function svg(d) {
    var ns = 'http://www.w3.org/2000/svg';
    var s = doc.createElementNS(ns, 'svg');
    var p = doc.createElementNS(ns, 'path');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    p.setAttribute('d', d);
    s.append(p);
    return s;
  }
  var ICON_CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
  var ICON_X = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6 10.6 12 5 6.4z';
  var ICON_SEND = 'M3 20.5 21 12 3 3.5V10l12 2-12 2z';
  var ICON_STOP = 'M7 7h10v10H7z';

  // ---- safe Markdown subset -----------------------------------------------------------------
  // Absolute URLs only (new URL without a base throws on relative ones).
  function safeUrl(u, schemes) {
    try {
      var x = new URL(u);
      return (schemes || /^(https?|mailto):$/).test(x.protocol) ? x.href : null;
    } catch (e) { return null; }
  }
  // 1-2 code, 3 **bold**, 4 *em*, 5-7 [text](url), 8 bare URL. No _ forms: they misfire on
  // identifiers like window.__name.
  var INLINE = new RegExp([
    '(`+)([^`]|[^`][\\s\\S]*?[^`])\\1(?!`)',
    '\\*\\*(?=\\S)([\\s\\S]*?\\S)\\*\\*',
    '\\*(?=[^\\s*])([\\s\\S]*?[^\\s*])\\*(?!\\*)',
    '(!?)\\[([^\\[\\]\\n]*)\\]\\(\\s*<?([^\\s<>()]*)>?\\s*\\)',
    '\\b((?:https?://|mailto:)[^\\s<>"\'`]*[^\\s<>"\'`.,;:!?)\\]])'
  ].join('|'));
  function link(href) {
    return el('a', { href: href, target: '_blank', rel: 'noopener noreferrer' });
  }
  function inline(parent, s, inLink) {
    var m, node, u;
    while (s && (m = INLINE.exec(s))) {
      if (m.index) parent.append(s.slice(0, m.index));
      if (m[1]) node = el('code', { text: m[2] });
      else if (m[3] != null || m[4] != null) {
        node = el(m[4] != null ? 'em' : 'strong');
        inline(node, m[3] || m[4], inLink);
      } else if (m[7] != null) {
        u = !inLink && safeUrl(m[7]);
        if (u) { node = link(u); inline(node, m[6] || u, true); } else node = m[0];
      } else {
        u = !inLink && safeUrl(m[8]);
        node = u ? link(u) : m[0];
        if (u) node.textContent = m[8];
      }
      parent.append(node);
      s = s.slice(m.index + m[0].length);
    }
    if (s) parent.append(s);
  }
  function markdown(src) {
    var out = doc.createDocumentFragment();
    var lines = src.split(/\r?\n/);
    var para = [], list = null, i = 0, m, line;
    function flush() {
      if (!para.length) return;
      var p = el('p');
      para.forEach(function (l, j) { if (j) p.append(el('br')); inline(p, l); });
      out.append(p);
      para = [];
    }
    while (i < lines.length) {
      line = lines[i++];
      if ((m = /^\s*(`{3,}|~{3,})/.exec(line))) {
        flush(); list = null;
        var code = [];
        while (i < lines.length && lines[i].trim().indexOf(m[1]) !== 0) code.push(lines[i++]);
        i++;
        out.append(el('pre', {}, [el('code', { text: code.join('\n') })]));
      } else if (!line.trim()) {
        flush(); list = null;
      } else if ((m = /^\s*(?:([-*+])|(\d{1,9})[.)])\s+(.*)$/.exec(line))) {
        flush();
        var tag = m[1] ? 'UL' : 'OL';
        if (!list || list.tagName !== tag) {
          list = out.appendChild(el(tag));
          if (m[2] && m[2] !== '1') list.start = +m[2];
        }
        inline(list.appendChild(el('li')), m[3]);
      } else if (list && /^\s+\S/.test(line)) {
        list.lastChild.append(' ');
        inline(list.lastChild, line.trim());
      } else if ((m = /^\s{0,3}#{1,6}\s+(.*?)[\s#]*$/.exec(line))) {
        flush(); list = null;
        var h = el('strong');
        inline(h, m[1]);
        out.append(el('p', { class: 'hd' }, [h]));
      } else {
        list = null;
        para.push(line);
      }
    }
    flush();
    return out;
  }

  // ---- SSE over fetch ----------------------------------------------------------------------
  async function readSse(body, onEvent) {
    var reader = body.getReader();
    var dec = new TextDecoder();
    var buf = '', carry = '', ev = '', data = [];
    function line(l) {
      if (l === '') {
        if (data.length) onEvent(ev || 'message', data.join('\n'));
        ev = ''; data = [];
      } else if (l[0] !== ':') {
        var i = l.indexOf(':');
        var f = i < 0 ? l : l.slice(0, i);
        var v = i < 0 ? '' : l.slice(i + 1);
        if (v[0] === ' ') v = v.slice(1);
        if (f === 'event') ev = v;
        else if (f === 'data') data.push(v);
      }
    }
    for (;;) {
      var r = await reader.read();
      var s = carry + (r.done ? dec.decode() : dec.decode(r.value, { stream: true }));
      carry = '';
      // A CR at the end of a chunk may be the first half of a CRLF.
      if (!r.done && s.slice(-1) === '\r') { carry = '\r'; s = s.slice(0, -1); }
      var lines = (buf + s).replace(/\r\n?/g, '\n').split('\n');
      buf = lines.pop();
      lines.forEach(line);
      if (r.done) return;
    }
  }

  // ---- UI ------------------------------------------------------------------------------------
  var CSS = [
    ':host{all:initial!important;display:block!important}',
    '*{box-sizing:border-box}',
    '.w{--a:var(--kbc-accent,#1f5fbf);--on:var(--kbc-on-accent,#fff);--bg:var(--kbc-bg,#fff);',
    '--fg:var(--kbc-fg,#1d2127);--mu:var(--kbc-muted,#59606b);--bd:var(--kbc-border,#d5dae1);',
    '--bb:var(--kbc-bot-bg,#f0f2f5);--ub:var(--kbc-user-bg,var(--a));--uf:var(--kbc-user-fg,var(--on));',
    '--er:var(--kbc-error,#b3261e);--r:var(--kbc-radius,14px);',
    'font:15px/1.45 var(--kbc-font,system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif);',
    'color:var(--fg);text-align:left;letter-spacing:normal;-webkit-text-size-adjust:100%}',
    '@media (prefers-color-scheme:dark){.w{--bg:var(--kbc-dark-bg,#1b1d22);--fg:var(--kbc-dark-fg,#e7e9ed);',
    '--mu:var(--kbc-dark-muted,#a3aab5);--bd:var(--kbc-dark-border,#363a44);',
    '--bb:var(--kbc-dark-bot-bg,#2a2d35);--er:var(--kbc-dark-error,#ff8a80)}}',
    'button,textarea{font:inherit;color:inherit;margin:0}',
    'button{cursor:pointer}',
    'button:disabled{cursor:default;opacity:.55}',
    ':focus-visible{outline:2px solid var(--a);outline-offset:2px}',
    'svg{width:22px;height:22px;fill:currentColor;display:block}',
    '.sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}',
    '.l{position:fixed;bottom:20px;right:20px;z-index:var(--kbc-z,2147483000);width:56px;height:56px;',
    'border-radius:50%;border:0;background:var(--a);color:var(--on);display:flex;align-items:center;',
    'justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.25);transition:transform .15s}',
    '.l:hover{transform:scale(1.06)}',
    '.l svg{width:26px;height:26px}',
    '.p{position:fixed;bottom:88px;right:20px;z-index:var(--kbc-z,2147483000);',
    'width:var(--kbc-width,380px);max-width:calc(100vw - 40px);',
    'height:var(--kbc-height,600px);max-height:calc(100vh - 110px);display:flex;flex-direction:column;',
    'background:var(--bg);border:1px solid var(--bd);border-radius:var(--r);overflow:hidden;',
    'box-shadow:0 12px 40px rgba(0,0,0,.22);animation:kin .16s ease-out}',
    '.p[hidden]{display:none}',
    '@keyframes kin{from{opacity:0;transform:translateY(8px)}}',
    '.left .l,.left .p{right:auto;left:20px}',
    '.inline .p{position:relative;bottom:auto;right:auto;left:auto;z-index:auto;width:100%;max-width:none;',
    'height:var(--kbc-height,560px);max-height:none;box-shadow:none;animation:none}',
    '.fullscreen .p{top:0;left:0;right:0;bottom:0;width:auto;max-width:none;height:100vh;height:100dvh;',
    'max-height:none;border:0;border-radius:0;box-shadow:none;animation:none}',
    '@media (max-width:479.98px){.bubble .p{top:0;left:0;right:0;bottom:0;width:100%;max-width:none;',
    'height:100vh;height:100dvh;max-height:none;border:0;border-radius:0;box-shadow:none}',
    '.bubble.open .l{display:none}textarea{font-size:16px}}',
    '.h{display:flex;align-items:center;gap:4px;padding:8px 8px 8px 16px;background:var(--a);color:var(--on)}',
    '.h h2{flex:1;margin:0;font-size:16px;font-weight:600;line-height:1.3;overflow:hidden;',
    'text-overflow:ellipsis;white-space:nowrap}',
    '.h button{display:flex;align-items:center;gap:4px;min-height:36px;padding:6px 10px;border:0;',
    'border-radius:8px;background:transparent;font-size:14px}',
    '.h button:hover{background:rgba(255,255,255,.16)}',
    '.h :focus-visible{outline-color:var(--on);outline-offset:-2px}',
    '.h .x{padding:6px}',
    '.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;',
    'overscroll-behavior:contain}',
    '.m{max-width:88%;padding:9px 13px;border-radius:var(--r);overflow-wrap:anywhere}',
    '.u{align-self:flex-end;background:var(--ub);color:var(--uf);border-bottom-right-radius:4px;',
    'white-space:pre-wrap}',
    '.b{align-self:flex-start;background:var(--bb);border-bottom-left-radius:4px}',
    '.b p,.b ul,.b ol,.b pre{margin:0 0 .55em}',
    '.b ul,.b ol{padding-left:1.3em}',
    '.t>:last-child{margin-bottom:0}',
    '.b a{color:inherit;text-decoration:underline}',
    '.b code{font:.9em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;',
    'background:rgba(127,127,127,.16);padding:.1em .3em;border-radius:4px}',
    '.b pre{overflow-x:auto;padding:8px 10px;background:rgba(127,127,127,.14);border-radius:8px}',
    '.b pre code{background:none;padding:0;white-space:pre}',
    '.n{margin-top:4px;font-size:13px;color:var(--mu);font-style:italic}',
    '.v{display:flex;align-items:center;gap:8px;margin:4px 0;font-size:13px;color:var(--mu)}',
    '.v:before,.v:after{content:"";flex:1;border-top:1px solid var(--bd)}',
    '.s{margin-top:8px;padding-top:6px;border-top:1px solid var(--bd);font-size:13px;color:var(--mu)}',
    '.s ul{list-style:none;margin:2px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:4px}',
    '.s li{padding:2px 8px;border:1px solid var(--bd);border-radius:999px;background:var(--bg);',
    'color:var(--fg);max-width:100%;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
    '.e{align-self:stretch;display:flex;flex-wrap:wrap;align-items:center;gap:8px;padding:8px 12px;',
    'border:1px solid var(--er);border-radius:10px;color:var(--er);font-size:14px}',
    '.e span{flex:1 1 12em}',
    '.e button,.c button,.k button{border:0;border-radius:10px;background:var(--a);color:var(--on)}',
    '.e button{padding:6px 14px}',
    '.q{display:flex;flex-wrap:wrap;gap:6px}.q button,.f button{border:1px solid var(--a);border-radius:999px;',
    'background:var(--bg);color:var(--a);padding:5px 12px;font-size:14px;text-align:left}',
    '.f{display:flex;flex-wrap:wrap;gap:4px;margin-top:6px}.f button{padding:2px 8px;font-size:13px;',
    'border-color:var(--bd);color:var(--mu)}.f [aria-pressed=true]{border-color:var(--a);color:var(--a)}',
    '.d{display:inline-flex;gap:4px;padding:4px 0}',
    '.d i{width:7px;height:7px;border-radius:50%;background:var(--mu);animation:kd 1s infinite alternate}',
    '.d i:nth-child(2){animation-delay:.2s}.d i:nth-child(3){animation-delay:.4s}',
    '@keyframes kd{from{opacity:.25}to{opacity:1}}',
    '.c{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid var(--bd);background:var(--bg)}',
    '.c textarea{flex:1;resize:none;min-height:42px;max-height:140px;padding:9px 12px;',
    'border:1px solid var(--bd);border-radius:10px;background:var(--bg);line-height:1.4}',
    '.c textarea::placeholder{color:var(--mu);opacity:1}',
    '.c textarea:focus-visible{outline-offset:-1px;border-color:var(--a)}',
    '.c button{width:42px;height:42px;display:flex;align-items:center;justify-content:center;flex:none}',
    '.c button[hidden]{display:none}',
    '.h [hidden]{display:none}.k,.k label{display:flex;flex-direction:column;gap:8px}.k{padding:12px;border:1px solid var(--bd);border-radius:var(--r)}',
    '.k [autocomplete]{font:inherit;font-size:16px;padding:7px 10px;border:1px solid var(--bd);border-radius:8px;background:var(--bg)}',
    '.k [aria-invalid=true]{border-color:var(--er)}.k i{color:var(--er);font-size:13px;font-style:normal}',
    '.k .cs{flex-direction:row;font-size:13px;color:var(--mu)}.k button{align-self:start;padding:8px 16px}',
    '@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}'
  ].join('');

  var host = el('kb-chat', { 'data-kbchat': '' });
  var accent = opt('accent');
  if (accent) host.style.setProperty('--kbc-accent', accent);
  var root = host.attachShadow({ mode: 'open' });
  var pos = opt('position', 'right') === 'left' ? ' left' : '';
  var w = el('div', { class: 'w ' + mode + pos, lang: lang });
  var panelId = 'kbchat-panel';

  var launcher = mode === 'bubble' && el('button', {
    class: 'l', type: 'button', 'aria-controls': panelId, onclick: function () { toggle(); }
  });
  var closeBtn = mode === 'bubble' && el('button', {
    class: 'x', type: 'button', 'aria-label': T.close, title: T.close,
    onclick: function () { close(true); }
  }, [svg(ICON_X)]);
  var newBtn = el('button', { type: 'button', text: T.newChat, onclick: function () { reset(true); } });
  var leadBtn = el('button', { type: 'button', text: T.lead, hidden: true, onclick: function () { leadForm(cfg.leads); } });
  var humanBtn = el('button', { type: 'button', text: T.human, hidden: true, onclick: human.bind(0, '') });
  var log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-label': T.log, tabindex: '0' });
  var ta = el('textarea', {
    id: 'kbchat-q', rows: '1', placeholder: T.placeholder, 'aria-label': T.input, enterkeyhint: 'send'
  });
  var sendBtn = el('button', { type: 'submit', class: 'send', 'aria-label': T.send, title: T.send }, [svg(ICON_SEND)]);
  var stopBtn = el('button', {
    type: 'button', class: 'stop', 'aria-label': T.stop, title: T.stop, hidden: true,
    onclick: function () { if (ctl) ctl.abort(); }
  }, [svg(ICON_STOP)]);
  var form = el('form', { class: 'c', onsubmit: function (e) { e.preventDefault(); submit(); } },
    [ta, sendBtn, stopBtn]);
  var panel = el('section', {
    class: 'p', id: panelId, role: mode === 'inline' ? 'region' : 'dialog', 'aria-label': T.title
  }, [el('div', { class: 'h' }, [el('h2', { text: T.title }), leadBtn, humanBtn, newBtn, closeBtn]), log, form]);

  ta.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  ta.addEventListener('input', grow);
  w.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && mode === 'bubble' && isOpen) { e.preventDefault(); close(true); }
  });
  function grow() {
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight + 2, 140) + 'px';
  }

  // ---- rendering -----------------------------------------------------------------------------
  function phone() { return matchMedia('(max-width: 479.98px)').matches; }
  function nearBottom() { return log.scrollHeight - log.scrollTop - log.clientHeight < 60; }
  function toBottom() { log.scrollTop = log.scrollHeight; }

  function errText(err) {
    if (err.k !== 'rate') return T[err.k] || T.failed;
    if (!(err.s > 0)) return T.rateSoon;
    var n = err.s < 90 ? t('sec', { n: err.s }) : t('min', { n: Math.ceil(err.s / 60) });
    return t('rate', { wait: n });
  }

  function chip(s) {
    var name = s.title || s.filename || s.path || '';
    var u = typeof s.url === 'string' && safeUrl(s.url, /^https?:$/);
    var kid = u ? link(u) : name;
    if (u) kid.textContent = name;
    return el('li', { title: s.path || s.filename || '' }, [kid]);
  }

  function msgNodes(m, last) {
    if (m.r === 'n') return [el('p', { class: 'v', text: T.fresh })];
    if (m.r === 'f') return [m.lead ? el('p', { class: 'm b', role: 'status', text: T.sent }) : card(m)];
    if (m.r === 'u') return [el('div', { class: 'm u' }, [el('span', { class: 'sr', text: T.you + ' ' }), m.t])];
    var out = [];
    var live = m.st === 'live';
    if (m.t || live || m.st === 'stopped') {
      var body = el('div', { class: 't' });
      if (m.t) body.append(markdown(m.t));
      else body.append(el('span', { class: 'd', role: 'img', 'aria-label': T.thinking }, [el('i'), el('i'), el('i')]));
      var b = el('div', { class: 'm b', 'aria-busy': live ? 'true' : null },
        [el('span', { class: 'sr', text: T.bot + ' ' }), body]);
      if (m.st === 'stopped') b.append(el('div', { class: 'n', text: T.stopped }));
      if (m.cut) b.append(el('div', { class: 'n', text: T[m.cut] }));
      if (m.src && m.src.length) b.append(el('div', { class: 's' }, [T.sources, el('ul', {}, m.src.map(chip))]));
      if (m.st === 'done' && m.rid && m.tk) b.append(rating(m));
      out.push(b);
    }
    if (m.st === 'err') {
      var retryBtn = last && el('button', { type: 'button', class: 'r', text: T.retry, onclick: retry });
      if (retryBtn && m.err.until > Date.now()) {
        retryBtn.disabled = true;
        setTimeout(function () { retryBtn.disabled = false; }, m.err.until - Date.now());
      }
      out.push(el('div', { class: 'e' }, [el('span', { text: errText(m.err) }), retryBtn]));
    }
    return out;
  }

  // 👍/👎; a 👎 offers reasons. The last click wins.
  function rating(m) {
    function b(r, why, text) {
      return el('button', {
        type: 'button', 'data-r': r + (why || ''), text: text, 'aria-pressed': String(why ? m.why === why : m.fb === r),
        'aria-label': why ? null : T[r], title: why ? null : T[r], onclick: function () { rate(m, r, why); }
      });
    }
    var row = el('div', { class: 'f' }, [b('up', 0, '👍'), b('down', 0, '👎')]);
    if (m.fb === 'down') ['wrong', 'unhelpful', 'outdated', 'other'].forEach(function (w) { row.append(b('down', w, T[w])); });
    return row;
  }
  var sent = Promise.resolve();
  function rate(m, r, why) {
    var key = r + (why || '');
    m.fb = r;
    m.why = why || null;
    redraw(m);
    save();
    var f = nodes.get(m)[0].querySelector('[data-r="' + key + '"]');
    if (f) f.focus();
    var body = { conversation: m.tk, response_id: m.rid, rating: r };
    if (why) body.reason = why;
    // in order: the log must end with the last choice
    sent = sent.then(function () {
      return fetch(api + '/feedback', {
        method: 'POST', credentials: 'omit', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
      });
    }).catch(function () { /* a lost rating is not worth an error */ });
  }
  // The lead form card: the KB's fields in its order, the consent with the privacy link.
  function pick(o) { return (o && (o[lang] || o.en || o[Object.keys(o)[0]])) || ''; }
  function card(m) {
    var f = m.f, v = m.v || (m.v = Object.assign({}, m.pre)), e = m.e || {}, first = null;
    var k = el('form', { class: 'k', novalidate: true, onsubmit: function (ev) { ev.preventDefault(); sendLead(m); } });
    (f.fields || []).forEach(function (n) {
      if (!T[n]) return;
      var id = 'kbl-' + n, req = (f.required || []).indexOf(n) >= 0;
      var c = n === 'comment', inp = el(c ? 'textarea' : 'input', {
        id: id, type: n === 'phone' ? 'tel' : n === 'email' ? n : null, required: req,
        autocomplete: c ? 'off' : n === 'phone' ? 'tel' : n, 'aria-invalid': e[n] ? 'true' : null, 'aria-describedby': e[n] ? id + 'e' : null
      });
      inp.value = v[n] || '';
      inp.addEventListener('input', function () { v[n] = inp.value; });
      first = first || (e[n] && inp);
      k.append(el('label', {}, [el('span', {}, [T[n], req ? el('span', { 'aria-hidden': 'true', text: ' *' }) : null]),
        inp, e[n] ? el('i', { id: id + 'e', text: e[n] }) : null]));
    });
    var box = el('input', { type: 'checkbox', 'aria-invalid': e.consent ? 'true' : null });
    box.checked = !!m.ok;
    box.addEventListener('change', function () { m.ok = box.checked; });
    var u = safeUrl(f.privacy_url || '', /^https?:$/), pl = u && link(u);
    if (pl) pl.textContent = T.privacy;
    k.append(el('label', { class: 'cs' }, [box, el('span', {}, [pick(f.consent) + ' ', pl])]),
      el('i', { role: 'alert', text: e.consent || e._ || '' }),
      el('button', { type: 'submit', text: T.send, disabled: !!m.busy }));
    if (first || (e.consent && box)) setTimeout(function () { (first || box).focus(); });
    return k;
  }
  function leadForm(f, call, pre) {
    if (!f) return;
    var m = { r: 'f', t: '', f: f, call: call || null, pre: pre || {} }, prev = msgs[msgs.length - 1];
    if (qs) { qs.remove(); qs = null; }
    msgs.push(m);
    if (prev) redraw(prev);
    place(m, true);
    save();
    toBottom();
    if (!phone()) nodes.get(m)[0].querySelector('input').focus();
  }
  // The relay checks every field (one rule for all channels) and names each bad one.
  async function sendLead(m) {
    var e = m.e = {}, fields = {}, body = { fields: fields, consent: !!m.ok, page: location.href };
    m.f.fields.forEach(function (n) { if ((m.v[n] || '').trim()) fields[n] = m.v[n].trim(); });
    if (token) body.conversation = token;
    if (m.call) body.call_id = m.call;
    m.busy = true;
    redraw(m);
    try {
      var res = await fetch(api + '/lead', {
        method: 'POST', credentials: 'omit', body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json', 'Accept-Language': lang }
      });
      var j = await res.json().catch(function () { return {}; }), er = j.error || {};
      if (res.status === 202) {
        m.lead = j.lead;
        delete m.v; // the contact is the relay's to keep now, not this page's
        if (j.conversation) token = j.conversation;
      } else {
        Object.assign(e, er.fields); // in the visitor's language (Accept-Language)
        if (er.code === 'consent_required') e.consent = T.agree;
        else if (!Object.keys(e).length) e._ = errText(httpError(res, er.code));
      }
    } catch (x) {
      e._ = T.offline;
    }
    m.busy = false;
    save();
    redraw(m);
  }
  function starters() {
    var s = cfg.starters || {};
    s = s[lang] || s.en || s[Object.keys(s)[0]];
    return Array.isArray(s) ? s.filter(function (q) { return typeof q === 'string'; }).slice(0, 6) : [];
  }
  var qs = null; // starters
  function draw() {
    log.replaceChildren(el('div', { class: 'm b' }, [el('div', { class: 't' }, [markdown(T.greeting)])]));
    qs = !msgs.length && starters().length ? el('div', { class: 'q' }, starters().map(function (q) {
      return el('button', { type: 'button', text: q, onclick: function () { ta.value = q; submit(); } });
    })) : null;
    if (qs) log.append(qs);
    leadBtn.hidden = !cfg.leads;
    msgs.forEach(function (m, i) { place(m, i === msgs.length - 1); });
    busyUi();
    toBottom();
  }
  function place(m, last) {
    var ns = msgNodes(m, last);
    ns.forEach(function (n) { log.append(n); });
    nodes.set(m, ns);
  }
  function redraw(m) {
    var stick = nearBottom();
    var old = nodes.get(m) || [];
    var ns = msgNodes(m, m === msgs[msgs.length - 1]);
    if (old.length && old[0].parentNode === log) {
      old[0].before.apply(old[0], ns);
      old.forEach(function (n) { n.remove(); });
    } else {
      ns.forEach(function (n) { log.append(n); });
    }
    nodes.set(m, ns);
    if (stick) toBottom();
  }
  // While streaming, the bubble stays the same element (aria-busy) and only its content
  // changes, so screen readers read the answer once, when it is complete, not word by word.
  function update(m) {
    var b = (nodes.get(m) || [])[0];
    if (!b || !b.isConnected || !b.hasAttribute('aria-busy')) return redraw(m);
    var stick = nearBottom();
    b.replaceChildren.apply(b, Array.from(msgNodes(m, true)[0].childNodes));
    if (stick) toBottom();
  }
  function busyUi() {
    var f = root.activeElement;
    sendBtn.hidden = !!ctl;
    stopBtn.hidden = !ctl;
    // Send and Stop share a place: keep keyboard focus on whichever is showing.
    if (f === sendBtn && ctl) stopBtn.focus();
    else if (f === stopBtn && !ctl) sendBtn.focus();
  }

  // ---- conversation --------------------------------------------------------------------------
  function submit() {
    var q = ta.value.trim();
    if (!q || ctl) return;
    ta.value = '';
    grow();
    var u = { r: 'u', t: q };
    var prev = msgs[msgs.length - 1];
    if (qs) { qs.remove(); qs = null; }
    msgs.push(u);
    if (prev) redraw(prev); // drops a stale Retry button
    place(u, true);
    toBottom();
    if (hs) human(q); else ask(q);
  }

  async function human(q) {
    if (!token) return ask(T.human);
    var r = (await fetch(api + '/handoff', {
      method: 'POST', credentials: 'omit', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ conversation: token, message: q })
    }).catch(Object)).status;
    if (r === 202) hs || (hs = 1, say(T.wait), poll());
    else if (r == 409 && cfg.leads) leadForm(cfg.leads);
    else say(T.busy);
  }
  function say(t, m) {
    msgs.push(m = { r: 'a', t: t });
    place(m, true);
    save();
    toBottom();
  }
  async function poll() {
    clearTimeout(ht);
    if (hs) try {
      ht = setTimeout(poll, 3000);
      var j = await (await fetch(api + '/handoff?conversation=' + token + '&after=' + hn)).json();
      j.messages.forEach(function (m) { hn = m.n; say(m.text); });
      hs = j.status === 'human';
    } catch (e) {}
  }

  function retry() {
    if (ctl) return;
    var last = msgs[msgs.length - 1];
    if (!last || last.st !== 'err') return;
    msgs.pop();
    (nodes.get(last) || []).forEach(function (n) { n.remove(); });
    if (!phone()) ta.focus(); // the Retry button that had focus is gone
    for (var i = msgs.length - 1; i >= 0; i--) {
      if (msgs[i].r === 'u') { ask(msgs[i].t); return; }
    }
  }

  // Retry stays disabled until Retry-After has passed (429, and 409 conversation_busy).
  function httpError(res, code) {
    var st = res.status;
    var k = ACT[code] || (st === 429 ? 'rate' : st === 409 ? 'locked' : st === 413 ? 'tooLong'
      : st === 503 ? 'busy' : 'failed');
    if (k === 'rate' || k === 'locked') {
      var h = res.headers.get('Retry-After');
      var s = Number(h);
      if (h && isNaN(s)) s = (Date.parse(h) - Date.now()) / 1000;
      s = s > 0 ? Math.ceil(s) : 0;
      return { k: k, s: s, until: Date.now() + s * 1000 };
    }
    return { k: k, code: code || String(st) };
  }

  async function ask(q, again) {
    var a = { r: 'a', t: '', src: [], st: 'live' };
    var c = new AbortController();
    var ended = false, err = null, timer = 0, saved = 0, lf = null;
    msgs.push(a);
    place(a, true);
    ctl = c;
    busyUi();
    toBottom();
    function gone() { return msgs.indexOf(a) < 0; } // New chat while streaming
    function tick() {
      timer = 0;
      if (gone()) return;
      update(a);
      if (Date.now() - saved > 800) { saved = Date.now(); save(); }
    }
    function later() { if (!timer) timer = setTimeout(tick, 50); }
    var body = { message: q };
    var sentToken = token;
    if (token) body.conversation = token;
    save();
    try {
      var res = await fetch(api + '/chat', {
        method: 'POST', credentials: 'omit', signal: c.signal,
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
        body: JSON.stringify(body)
      });
      if (!res.ok) {
        var code = '';
        try { code = ((await res.json()).error || {}).code || ''; } catch (e) { /* not JSON */ }
        err = httpError(res, code);
      } else if (!/event-stream/.test(res.headers.get('Content-Type') || '')) {
        err = { k: 'failed' };
      } else {
        await readSse(res.body, function (ev, data) {
          var d;
          try { d = JSON.parse(data); } catch (e) { return; }
          if (!d || typeof d !== 'object') return;
          if (ev === 'conversation' && d.conversation) { token = d.conversation; save(); }
          else if (ev === 'delta' && typeof d.text === 'string') { a.t += d.text; later(); }
          else if (ev === 'source') {
            var key = d.file_id || d.path;
            if (!a.src.some(function (s) { return (s.file_id || s.path) === key; })) {
              a.src.push({ file_id: d.file_id, filename: d.filename, path: d.path, title: d.title, url: d.url });
              later();
            }
          } else if (ev === 'lead_form') {
            lf = d;
          } else if (ev === 'handoff') {
            lf = 1;
          } else if (ev === 'done') {
            ended = true;
            a.rid = d.response_id;
            if (d.incomplete) a.cut = d.incomplete === 'content_filter' ? 'filtered' : 'cut';
          } else if (ev === 'error') {
            ended = true;
            err = { k: ACT[d.code] || 'failed', code: d.code, s: 0 };
          }
        });
        if (!ended) err = { k: 'lost' };
      }
      // A dead token: a new chat, once, by itself, below the old transcript.
      if (err && err.k === 'new') {
        if (!again && sentToken && !a.t) {
          token = null;
          msgs.pop();
          nodes.get(a).forEach(function (n) { n.remove(); });
          ctl = null;
          var v = { r: 'n', t: '' };
          var qi = msgs.length - 1;
          while (qi > 0 && msgs[qi].r !== 'u') qi--;
          var at = (nodes.get(msgs[qi]) || [])[0];
          msgs.splice(qi, 0, v);
          nodes.set(v, msgNodes(v));
          if (at) at.before(nodes.get(v)[0]);
          return ask(q, true);
        }
        token = null; // Retry then opens a new conversation, never the dead one again
        err.k = 'failed';
      }
    } catch (e) {
      err = c.signal.aborted ? null : { k: a.t ? 'lost' : 'offline' };
    }
    clearTimeout(timer);
    if (ctl === c) ctl = null;
    if (gone()) return;
    if (c.signal.aborted) a.st = 'stopped';
    else if (err) { a.st = 'err'; a.err = err; }
    else { a.st = 'done'; a.tk = token; }
    redraw(a);
    busyUi();
    save();
    if (lf && !err) lf === 1 ? human() : leadForm(lf, lf.call_id, lf.prefill);
  }

  // ---- open / close / reset ------------------------------------------------------------------
  function fit() {
    var vv = window.visualViewport;
    var s = panel.style;
    // Keep the sheet above the on-screen keyboard: the visual viewport shrinks, the layout one doesn't.
    if (vv && isOpen && (mode === 'fullscreen' || (mode === 'bubble' && phone()))) {
      s.height = vv.height + 'px';
      s.top = vv.offsetTop + 'px';
    } else {
      s.height = s.top = '';
    }
  }
  function sync() {
    panel.hidden = !isOpen;
    w.classList.toggle('open', isOpen);
    if (launcher) {
      launcher.setAttribute('aria-expanded', String(isOpen));
      launcher.setAttribute('aria-label', isOpen ? T.close : T.open);
      launcher.title = isOpen ? T.close : T.open;
      launcher.replaceChildren(svg(isOpen ? ICON_X : ICON_CHAT));
    }
    fit();
  }
  function open(focus) {
    if (mode !== 'bubble' || isOpen) return;
    isOpen = true;
    sync();
    save();
    toBottom();
    if (focus !== false) {
      // No autofocus on phones: it would pop the keyboard over the answer.
      if (phone() || matchMedia('(pointer: coarse)').matches) closeBtn.focus();
      else ta.focus();
    }
  }
  function close(focus) {
    if (mode !== 'bubble' || !isOpen) return;
    var inside = root.activeElement != null;
    isOpen = false;
    sync();
    save();
    if (focus || inside) launcher.focus();
  }
  function toggle() { if (isOpen) close(true); else open(); }
  function reset(focus) {
    if (ctl) ctl.abort();
    ctl = null;
    msgs = [];
    token = null;
    hs = hn = 0;
    save();
    draw();
    if (focus && !phone()) ta.focus();
  }

  w.append.apply(w, [launcher, panel].filter(Boolean));
  // A constructed stylesheet needs no 'unsafe-inline' in the host page's CSP style-src.
  try {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.append(el('style', { text: CSS }));
  }
  root.append(w);
  if (window.visualViewport) {
    visualViewport.addEventListener('resize', fit);
    visualViewport.addEventListener('scroll', fit);
  }
  addEventListener('resize', fit);
  addEventListener('pagehide', save); // a navigation mid-answer keeps what had arrived
  function mount() {
    (target || doc.body).append(host);
    sync();
    draw();
    fetch(api + '/ping', { credentials: 'omit' }).then(function (r) { return r.json(); }).then(function (j) {
      cfg = (j && j.widget) || {};
      leadBtn.hidden = !cfg.leads;
      humanBtn.hidden = !cfg.handoff;
      save();
      if (!msgs.length && !ctl) draw();
    }).catch(function () { /* offline: the chat says so when asked */ });
  }
  if (doc.body) mount(); else doc.addEventListener('DOMContentLoaded', mount);

  window.KbChat = {
    open: function () { open(); },
    close: function () { close(); },
    toggle: function () { toggle(); },
    reset: function () { reset(); },
    version: '1.0.0'
  };
})();
