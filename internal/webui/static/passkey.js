// Passkeys (WebAuthn) for the sign-in page, the second-factor step and the security
// page. Each form marked data-passkey stays hidden unless the browser can use
// passkeys; on submit this module asks the server for the ceremony's options,
// lets the browser's authenticator answer, puts that answer in the form and submits
// it as an ordinary form post. Without this file, passwords and codes still work.

const OPTIONS_URL = {
  signin: "/web/login/passkey/options",
  login: "/web/login/passkey/options",
  register: "/odoo/account/passkey-options",
};

function fromBase64url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    out[i] = raw.charCodeAt(i);
  }
  return out.buffer;
}

function toBase64url(buffer) {
  const bytes = new Uint8Array(buffer);
  let raw = "";
  for (const b of bytes) {
    raw += String.fromCharCode(b);
  }
  return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// decodeOptions turns the server's JSON (binary fields in base64url) into what
// navigator.credentials expects (ArrayBuffers).
function decodeOptions(publicKey) {
  const pk = { ...publicKey, challenge: fromBase64url(publicKey.challenge) };
  if (pk.user) {
    pk.user = { ...pk.user, id: fromBase64url(pk.user.id) };
  }
  for (const list of ["excludeCredentials", "allowCredentials"]) {
    if (Array.isArray(pk[list])) {
      pk[list] = pk[list].map((c) => ({ ...c, id: fromBase64url(c.id) }));
    }
  }
  return pk;
}

// encodeCredential is PublicKeyCredential.toJSON for browsers without it.
function encodeCredential(cred) {
  if (typeof cred.toJSON === "function") {
    return cred.toJSON();
  }
  const r = cred.response;
  const response = { clientDataJSON: toBase64url(r.clientDataJSON) };
  if (r.attestationObject) {
    response.attestationObject = toBase64url(r.attestationObject);
    if (typeof r.getTransports === "function") {
      response.transports = r.getTransports();
    }
  } else {
    response.authenticatorData = toBase64url(r.authenticatorData);
    response.signature = toBase64url(r.signature);
    if (r.userHandle) {
      response.userHandle = toBase64url(r.userHandle);
    }
  }
  return {
    id: cred.id,
    rawId: toBase64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || undefined,
    clientExtensionResults: cred.getClientExtensionResults(),
    response,
  };
}

async function ceremony(form, mode, status) {
  const body = new URLSearchParams();
  body.set("csrf_token", form.elements.csrf_token.value);
  if (form.elements.pending) {
    body.set("pending", form.elements.pending.value);
  }
  const answer = await fetch(OPTIONS_URL[mode], {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body,
  });
  const data = await answer.json();
  if (!answer.ok) {
    status.textContent = data.error || "The passkey could not be used.";
    return;
  }
  const publicKey = decodeOptions(data.options.publicKey);
  const cred = mode === "register"
    ? await navigator.credentials.create({ publicKey })
    : await navigator.credentials.get({ publicKey });
  if (!cred) {
    status.textContent = "No passkey was chosen.";
    return;
  }
  form.elements.handle.value = data.handle;
  form.elements.response.value = JSON.stringify(encodeCredential(cred));
  const trustFrom = form.dataset.passkeyTrust && document.getElementById(form.dataset.passkeyTrust);
  if (trustFrom && form.elements.trust) {
    form.elements.trust.value = trustFrom.checked ? "1" : "";
  }
  form.submit();
}

function attach(form) {
  const mode = form.dataset.passkey;
  if (!OPTIONS_URL[mode]) {
    return;
  }
  const status = form.querySelector("[data-passkey-status]") || document.createElement("p");
  form.hidden = false;
  let busy = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    status.textContent = "";
    ceremony(form, mode, status)
      .catch((err) => {
        // The user closed the browser's dialog, or it timed out.
        status.textContent = err && err.name === "NotAllowedError"
          ? "The passkey was not used."
          : "The passkey could not be used.";
      })
      .finally(() => {
        busy = false;
      });
  });
}

function start() {
  if (!window.PublicKeyCredential || !navigator.credentials) {
    return;
  }
  for (const note of document.querySelectorAll("[data-passkey-unsupported]")) {
    note.hidden = true;
  }
  for (const form of document.querySelectorAll("form[data-passkey]")) {
    attach(form);
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
