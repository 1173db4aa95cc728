/* Comments under any blog's posts (issue 13): the thread of this page, its form, and the
   comment counts of a listing page, from the comments service that serves this script.

   <script src="https://comments.example/embed.js" data-url="…" data-title="…" async></script>
   <div id="comments"></div>
   <a data-comments-count href="/a-post/">Comments</a>
   <iframe src="https://comments.example/embed/thread?url=…"></iframe> (sized to its content)

   No framework and no build step. Text goes in with textContent; the only markup set as
   HTML is the API's `html` fields, sanitised once by the service (SPEC §3, Markup). The
   styles go in through the CSSOM, so a host page's CSP needs no 'unsafe-inline'. */
(() => {
  "use strict";
  // An async script: currentScript is only set now, while it first runs.
  const script = document.currentScript;
  if (!script || !script.src) return;
  const service = new URL(script.src).origin;
  const API = service + "/api/v1/";
  const AWAITING = "Your comment is awaiting moderation.";
  // The author sees a pending comment for ten minutes (SPEC §3): then the token is dropped,
  // and the reader's reads are the shared, cacheable ones again.
  const OWN_MS = 600000;
  const set = script.dataset;

  // localStorage, namespaced by the service's origin: a blog may embed more than one.
  const store = {
    key: (name) => "moderation:" + service + ":" + name,
    get(name) {
      try {
        return JSON.parse(localStorage.getItem(store.key(name)));
      } catch (e) {
        return null;
      }
    },
    put(name, value) {
      try {
        localStorage.setItem(store.key(name), JSON.stringify(value));
      } catch (e) {
        /* storage off: the comment is still sent */
      }
    },
    drop(name) {
      try {
        localStorage.removeItem(store.key(name));
      } catch (e) {
        /* nothing kept */
      }
    },
  };

  // An element: attributes (on* are listeners, text is textContent), then children.
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (name === "text") el.textContent = value;
      else if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : value);
    }
    el.append(...kids.flat().filter((kid) => kid != null && kid !== false));
    return el;
  }

  const web = (url) => (/^https?:\/\//i.test(url || "") ? url : null);
  const plural = (n, one, many) => n + " " + (n === 1 ? one : many);

  function ownToken() {
    const own = store.get("own");
    if (own && own.until > Date.now()) return own.token;
    if (own) store.drop("own");
    return null;
  }

  function link(url, ...kids) {
    return web(url) ? h("a", { href: url, rel: "nofollow ugc" }, kids) : h("span", null, kids);
  }

  async function call(path, body) {
    const options = { credentials: "omit" };
    if (body) {
      options.method = "POST";
      options.headers = { "Content-Type": "application/json" };
      options.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, options);
    let data = {};
    try {
      data = await response.json();
    } catch (e) {
      /* not JSON: an error page of a proxy */
    }
    return { ok: response.ok, status: response.status, data };
  }

  /* Counts: every [data-comments-count] link of the page, from one request per 100. */
  const FORMAT = "No comments|1 comment|{n} comments";

  function countText(n, format) {
    const forms = (format || set.countFormat || FORMAT).split("|");
    const chosen = forms[Math.min(n, 2, forms.length - 1)];
    return chosen.replace("{n}", n.toLocaleString());
  }

  function fillCounts() {
    const links = [...document.querySelectorAll("[data-comments-count]")];
    const urlOf = (el) => {
      const url = new URL(
        el.getAttribute("data-comments-url") || el.getAttribute("href"),
        document.baseURI,
      );
      url.hash = "";
      return url.href;
    };
    const urls = [...new Set(links.map(urlOf))];
    for (let start = 0; start < urls.length; start += 100) {
      const query = urls.slice(start, start + 100).map((url) => "url=" + encodeURIComponent(url));
      call("counts?" + query.join("&"))
        .then(({ ok, data }) => {
          if (!ok) return;
          for (const el of links) {
            const n = data.counts[urlOf(el)];
            if (typeof n === "number") {
              el.textContent = countText(n, el.dataset.commentsCountFormat);
            }
          }
        })
        .catch(() => {});
    }
  }

  /* The thread: the entries, the reactions, paging and the form. */
  function pageNumbers(page, pages) {
    const wanted = [1, pages];
    for (let n = page - 2; n <= page + 2; n++) wanted.push(n);
    const numbers = [...new Set(wanted)].filter((n) => n >= 1 && n <= pages).sort((a, b) => a - b);
    const out = [];
    for (const n of numbers) {
      const last = out[out.length - 1];
      if (last && n - last === 2) out.push(n - 1);
      else if (last && n - last > 2) out.push(null);
      out.push(n);
    }
    return out;
  }

  function thread(root) {
    const url =
      set.url || (document.querySelector("link[rel=canonical]") || location).href.split("#")[0];
    const title = set.title || document.title;
    const lang = document.documentElement.lang || undefined;
    let data = null;
    let parent = null;
    let opener = null;
    let busy = false;

    if (root.classList.contains("mc")) return; // drawn already by another copy of the script
    root.classList.add("mc");
    if (!root.hasAttribute("role")) {
      root.setAttribute("role", "region");
      root.setAttribute("aria-label", "Comments");
    }
    const entriesBox = h("div", { class: "mc-thread" }, h("p", { text: "Loading comments…" }));
    const status = h("p", { class: "mc-status", role: "status" });
    const alert = h("p", { class: "mc-error", role: "alert" });
    root.replaceChildren(entriesBox);

    const say = (message) => {
      status.textContent = message;
    };
    const fail = (message) => {
      alert.textContent = message;
    };

    function avatar(entry, size) {
      const src = web(entry.photo) || web(entry.avatar);
      return src && h("img", { class: "mc-avatar", src, width: size, height: size, alt: "" });
    }

    function when(entry) {
      const date = new Date(entry.created);
      const text = date.toLocaleString(lang, { dateStyle: "long", timeStyle: "short" });
      return h(
        "a",
        { class: "mc-permalink", href: "#comment-" + entry.id },
        h("time", { datetime: entry.created, text }),
      );
    }

    function item(entry) {
      const li = h("li", {
        id: "comment-" + entry.id,
        class: "mc-entry mc-" + entry.type + (entry.pending ? " mc-pending" : ""),
      });
      const meta = h("header", { class: "mc-meta" });
      const body = h("article", { class: "mc-body" + (entry.label ? " mc-linkback" : "") }, meta);
      if (entry.label) {
        // A pingback, trackback or mention, introduced as on our own page.
        meta.append(
          h(
            "span",
            { class: "mc-author" },
            entry.label + ": ",
            link(entry.source || entry.website, entry.author),
          ),
          when(entry),
        );
      } else {
        meta.append(
          avatar(entry, 44) || "",
          h("span", { class: "mc-author" }, link(entry.website, entry.author)),
          entry.by_moderator ? h("span", { class: "mc-badge", text: "Moderator" }) : "",
          when(entry),
          web(entry.source)
            ? h("a", {
                class: "mc-via",
                href: entry.source,
                rel: "nofollow ugc",
                text: "replied on their site",
              })
            : "",
        );
      }
      if (entry.pending) body.append(h("p", { class: "mc-awaiting", text: AWAITING }));
      const text = h("div", { class: "mc-text" });
      text.innerHTML = entry.html; // the service's sanitised HTML, and nothing else
      body.append(text);
      if (entry.replyable && data.open) {
        const button = h("button", {
          type: "button",
          class: "mc-link",
          "aria-label": "Reply to " + entry.author,
          text: "Reply",
        });
        button.addEventListener("click", () => replyTo(entry, body, button));
        body.append(button);
      }
      li.append(body);
      if (entry.replies && entry.replies.length) {
        li.append(h("ol", { class: "mc-children" }, entry.replies.map(item)));
      }
      return li;
    }

    function reactions() {
      return ["like", "repost"].map((kind) => {
        const people = data.reactions.filter((entry) => entry.kind === kind);
        if (!people.length) return null;
        return h(
          "section",
          { class: "mc-reactions", "aria-label": plural(people.length, kind, kind + "s") },
          h("h3", { text: plural(people.length, kind, kind + "s") }),
          h(
            "ul",
            { class: "mc-faces" },
            people.map((entry) =>
              h(
                "li",
                { id: "comment-" + entry.id },
                link(
                  entry.source || entry.website,
                  avatar(entry, 32),
                  h("span", { class: "mc-vh", text: entry.author }),
                ),
              ),
            ),
          ),
        );
      });
    }

    function pager() {
      const go = (n, text, label) =>
        h("button", {
          type: "button",
          class: "mc-link",
          "aria-label": label,
          text,
          onclick: () => turn(n),
        });
      const numbers = pageNumbers(data.page, data.pages).map((n) =>
        h(
          "li",
          null,
          n === null
            ? h("span", { text: "…" })
            : n === data.page
              ? h("span", { class: "mc-current", "aria-current": "page", text: n })
              : go(n, String(n), "Page " + n),
        ),
      );
      return h(
        "nav",
        { class: "mc-pages", "aria-label": "Comment pages" },
        data.page > 1 && go(data.page - 1, "← Older comments"),
        h("ul", null, numbers),
        data.page < data.pages && go(data.page + 1, "Newer comments →"),
      );
    }

    function draw() {
      cancelReply();
      const top = data.entries.length && h("ol", { class: "mc-list" }, data.entries.map(item));
      const heading =
        data.count > 0 &&
        h("h2", {
          class: "mc-title",
          tabindex: "-1",
          text: plural(data.count, "thought", "thoughts") + " on “" + data.title + "”",
        });
      const feed =
        web(data.feed) &&
        h(
          "p",
          { class: "mc-feed" },
          h("a", { href: data.feed, type: "application/atom+xml", text: "Comments feed" }),
        );
      entriesBox.replaceChildren(
        ...[heading, top, ...reactions(), data.pages > 1 && pager(), feed].filter(Boolean),
      );
    }

    async function load(page) {
      const query = new URLSearchParams({ url, title });
      if (page) query.set("page", page);
      const own = ownToken();
      if (own) query.set("own", own);
      let answer;
      try {
        answer = await call("thread?" + query);
      } catch (e) {
        answer = { ok: false, data: {} };
      }
      if (!answer.ok) {
        entriesBox.replaceChildren(
          h("p", {
            class: "mc-error",
            text: answer.data.error || "The comments could not be loaded.",
          }),
        );
        return false;
      }
      data = answer.data;
      draw();
      return true;
    }

    async function turn(page) {
      if (await load(page)) {
        const heading = entriesBox.querySelector(".mc-title");
        if (heading) heading.focus();
        say("Page " + data.page + " of " + data.pages + ".");
      }
    }

    /* The form: "Leave a Comment", reply in place, preview, remember me. */
    const fields = {};
    function field(name, label, required, attrs) {
      const id = "mc-" + name;
      const control = h(name === "comment" ? "textarea" : "input", {
        id,
        name,
        required,
        ...attrs,
      });
      const star = required && [
        " ",
        h("span", { class: "mc-required", "aria-hidden": "true", text: "*" }),
      ];
      const box = h("p", { class: "mc-field" }, h("label", { for: id }, label, star), control);
      fields[name] = { box, control };
      return box;
    }

    const remember = h("input", { type: "checkbox", id: "mc-remember" });
    const notify = h("input", { type: "checkbox", id: "mc-notify" });
    const honeypot = h("input", {
      id: "mc-homepage",
      name: "homepage",
      type: "text",
      tabindex: "-1",
      autocomplete: "off",
    });
    const previewText = h("div", { class: "mc-text" });
    const preview = h(
      "div",
      { class: "mc-preview", hidden: true },
      h("h3", { text: "Preview" }),
      previewText,
    );
    const headingText = h("span", { id: "mc-respond-title", text: "Leave a Comment" });
    const cancel = h("button", {
      type: "button",
      class: "mc-link mc-cancel",
      hidden: true,
      text: "Cancel reply",
      onclick: () => cancelReply(true),
    });
    const form = h(
      "form",
      { class: "mc-form", novalidate: true, "aria-labelledby": "mc-respond-title" },
      h(
        "p",
        { class: "mc-notes" },
        "Your email address will not be published. Required fields are marked ",
        h("span", { class: "mc-required", text: "*" }),
      ),
      h(
        "p",
        { class: "mc-hp", "aria-hidden": "true" },
        h("label", { for: "mc-homepage", text: "Leave this field empty" }),
        honeypot,
      ),
      field("comment", "Comment", true, { rows: 6 }),
      field("name", "Name", true, { type: "text", autocomplete: "name" }),
      field("email", "Email", true, { type: "email", autocomplete: "email" }),
      field("website", "Website", false, { type: "text", inputmode: "url", autocomplete: "url" }),
      h(
        "p",
        { class: "mc-remember" },
        remember,
        " ",
        h("label", {
          for: "mc-remember",
          text: "Save my name, email, and website in this browser for the next time I comment.",
        }),
      ),
      h(
        "p",
        { class: "mc-remember" },
        notify,
        " ",
        h("label", {
          for: "mc-notify",
          text: "Notify me of replies and when my comment is published",
        }),
      ),
      preview,
      h(
        "p",
        { class: "mc-submit" },
        h("button", { type: "submit", text: "Post Comment" }),
        " ",
        h("button", {
          type: "button",
          class: "mc-secondary",
          text: "Preview",
          onclick: showPreview,
        }),
      ),
    );
    const respond = h(
      "div",
      { class: "mc-respond" },
      h("h2", null, headingText, " ", cancel),
      alert,
      status,
      form,
    );

    const value = (name) => fields[name].control.value;
    const saved = store.get("me");
    if (saved) {
      for (const name of ["name", "email", "website"]) {
        fields[name].control.value = saved[name] || "";
      }
      remember.checked = true;
    }
    // Consent (SPEC §3, remember me): kept only while the box is ticked.
    remember.addEventListener("change", () => remember.checked || store.drop("me"));

    function replyTo(entry, body, button) {
      parent = entry.id;
      opener = button;
      headingText.textContent = "Reply to " + entry.author;
      cancel.hidden = false;
      body.after(respond);
      fields.comment.control.focus();
    }

    function cancelReply(focusBack) {
      parent = null;
      headingText.textContent = "Leave a Comment";
      cancel.hidden = true;
      if (respond.parentNode && respond.parentNode !== root) root.append(respond);
      if (focusBack && opener && opener.isConnected) opener.focus();
    }

    function clearErrors() {
      alert.textContent = "";
      for (const { box, control } of Object.values(fields)) {
        box.classList.remove("mc-has-error");
        control.removeAttribute("aria-invalid");
        control.removeAttribute("aria-describedby");
        box.querySelectorAll(".mc-field-error").forEach((el) => el.remove());
      }
    }

    // Errors beside their fields, as the form without scripts shows them; what was typed stays.
    function showErrors(errors) {
      for (const [name, messages] of Object.entries(errors)) {
        const text = [].concat(messages).join(" ");
        if (!fields[name]) {
          fail(text); // not a field of ours (the parent): the form's alert says it
          continue;
        }
        const { box, control } = fields[name];
        const id = "mc-" + name + "-error";
        box.classList.add("mc-has-error");
        control.setAttribute("aria-invalid", "true");
        control.setAttribute("aria-describedby", id);
        box.append(h("span", { class: "mc-field-error", id, text }));
      }
      const first = Object.values(fields).find(({ box }) => box.classList.contains("mc-has-error"));
      if (first) first.control.focus();
    }

    function refused(answer) {
      if (answer.data.errors) showErrors(answer.data.errors);
      else fail(answer.data.error || "Your comment could not be sent. Please try again.");
    }

    async function showPreview() {
      clearErrors();
      try {
        const answer = await call("preview", { comment: value("comment") });
        if (!answer.ok) return refused(answer);
        previewText.innerHTML = answer.data.html; // sanitised by the service
        preview.hidden = false;
        say("Preview shown below the form fields.");
      } catch (e) {
        fail("The preview could not be shown. Please check your connection.");
      }
    }

    async function send(event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      clearErrors();
      say("Sending your comment…");
      const body = { url, title, stamp: data.form.stamp, homepage: honeypot.value };
      for (const name of ["comment", "name", "email", "website"]) body[name] = value(name);
      if (parent) body.parent = parent;
      if (notify.checked) body.notify = true;
      const own = ownToken();
      if (own) body.own = own;
      try {
        const answer = await call("comments", body);
        say("");
        if (!answer.ok) return refused(answer);
        const sent = answer.data;
        if (sent.token) store.put("own", { token: sent.token, until: Date.now() + OWN_MS });
        if (remember.checked) {
          store.put("me", {
            name: value("name"),
            email: value("email"),
            website: value("website"),
          });
        } else {
          store.drop("me");
        }
        fields.comment.control.value = "";
        notify.checked = false; // asked for each comment
        preview.hidden = true;
        await load(sent.page || data.page);
        // Focus on the comment where it now stands says it all; one that shows to no one
        // gets a word of thanks.
        const shown = document.getElementById("comment-" + sent.id);
        if (shown) {
          shown.tabIndex = -1;
          shown.focus();
        } else say("Thank you for your comment.");
      } catch (e) {
        say("");
        fail("Your comment could not be sent. Please check your connection and try again.");
      } finally {
        busy = false;
      }
    }
    form.addEventListener("submit", send);

    load().then((loaded) => {
      if (!loaded) return;
      if (data.open) root.append(respond);
      else root.append(h("p", { class: "mc-closed", text: "Comments are closed." }), status);
      const target =
        location.hash.startsWith("#comment-") && document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    });
  }

  /* Styles through the CSSOM (a constructed sheet), themed by --moderation-* properties. */
  const CSS = `
.mc{--a:var(--moderation-accent,#0b5cad);--m:var(--moderation-muted,#595f66);--b:var(--moderation-border,#cfd4da);--e:var(--moderation-error,#b3261e);--p:var(--moderation-pending,#fff8e1);--bg:var(--moderation-background,#fff);--r:var(--moderation-radius,6px);font:inherit;color:inherit}
.mc *{box-sizing:border-box}
.mc a{color:var(--a)}
.mc h2{font-size:1.35em;margin:1.5em 0 .8em}
.mc h3{font-size:1em;margin:0 0 .4em}
.mc-list,.mc-children,.mc-faces,.mc-pages ul{list-style:none;margin:0;padding:0}
.mc-children{margin:1em 0 0 1.5em}
.mc-entry{margin:0 0 1.4em}
.mc-body{padding-bottom:1em;border-bottom:1px solid var(--b)}
.mc-pending>.mc-body{background:var(--p);color:#1f1f1f;padding:.6em .8em;border-radius:var(--r)}
.mc-meta{display:flex;flex-wrap:wrap;align-items:center;gap:.2em .7em;font-size:.9em}
.mc-avatar{border-radius:50%;flex:none}
.mc-author{font-weight:600}
.mc-permalink,.mc-via,.mc-notes,.mc-linkback .mc-text,.mc-feed{color:var(--m);font-size:.9em}
.mc-text{overflow-wrap:anywhere}
.mc-text p{margin:.5em 0}
.mc-text blockquote{margin:.5em 0;padding-left:.9em;border-left:3px solid var(--b)}
.mc-awaiting{font-style:italic;margin:.4em 0}
.mc-badge{font-size:.7em;text-transform:uppercase;border:1px solid;border-radius:3px;padding:0 .3em}
.mc-reactions{margin:0 0 1.4em}
.mc-faces,.mc-pages,.mc-pages ul{display:flex;flex-wrap:wrap;gap:.3em;align-items:center}
.mc-pages{margin:1em 0;gap:.6em}
.mc-current{font-weight:700;padding:0 .5em}
.mc-field{margin:0 0 1em}
.mc-field label{display:block;font-weight:600;margin-bottom:.25em}
.mc input,.mc textarea,.mc button{font:inherit}
.mc-field input,.mc-field textarea{display:block;width:100%;padding:.5em .6em;border:1px solid var(--m);border-radius:4px;background:var(--bg);color:inherit}
.mc-field textarea{min-height:9em;resize:vertical}
.mc-required,.mc-error,.mc-field-error{color:var(--e)}
.mc-has-error input,.mc-has-error textarea{border-color:var(--e)}
.mc-field-error{display:block;font-weight:600;font-size:.9em;margin-top:.25em}
.mc-error:empty,.mc-status:empty{display:none}
.mc-hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
.mc-vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.mc-remember{display:flex;gap:.5em;align-items:baseline}
.mc-preview{border:1px dashed var(--b);border-radius:var(--r);padding:.5em .8em;margin:0 0 1em}
.mc button{min-width:24px;min-height:24px;cursor:pointer;border:1px solid var(--a);border-radius:4px;padding:.4em 1em;background:var(--a);color:var(--moderation-button-text,#fff);font-weight:600}
.mc button.mc-link,.mc button.mc-secondary{background:none;color:var(--a)}
.mc button.mc-link{border-color:transparent;padding:0 .4em;font-size:.9em}
.mc-cancel{font-weight:400}
.mc button:focus-visible,.mc [tabindex="-1"]:focus{outline:2px solid var(--a);outline-offset:2px}`;

  function style() {
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    } catch (e) {
      // Older browsers: a <style> element (a strict host CSP may refuse it).
      document.head.append(h("style", { text: CSS }));
    }
  }

  // A frame of ours (/embed/thread, for a page that prefers it) tells its height; the
  // frame that sent it grows to it. Only messages from our own origin count.
  function sizeFrames(event) {
    const said = event.data;
    if (event.origin !== service || !said || said.type !== "moderation:height") return;
    if (!(said.height > 0)) return;
    for (const frame of document.querySelectorAll("iframe")) {
      if (frame.contentWindow === event.source) frame.style.height = Math.ceil(said.height) + "px";
    }
  }
  addEventListener("message", sizeFrames);

  function start() {
    const root = document.getElementById(set.target || "comments");
    if (root || document.querySelector("[data-comments-count]")) style();
    if (root) thread(root);
    fillCounts();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
