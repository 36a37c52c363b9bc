// /api/docs/: Swagger UI (served from this origin by drf-spectacular-sidecar) replaces the
// server-rendered summary once its bundle has loaded. A file, not an inline script, so the
// page's Content-Security-Policy needs no 'unsafe-inline' for scripts.
"use strict";
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  if (!root || typeof window.SwaggerUIBundle !== "function") { return; }
  window.SwaggerUIBundle({ url: root.dataset.schemaUrl, dom_id: "#swagger-ui", deepLinking: true });
});
