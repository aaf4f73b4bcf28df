import assert from "node:assert/strict";
import { test } from "node:test";
import { EXPIRED, refusalText, signedInText, tokenPrompt } from "../src/auth-text.js";

test("the signed-in line names the user, the workspaces and the scopes", () => {
  assert.equal(signedInText({ user: "alice", workspaces: ["a", "b"], scopes: ["runs:read"] }), "Signed in as alice · workspaces a, b · runs:read");
  assert.equal(signedInText({ user: "bob", workspaces: ["a"], scopes: ["runs:read", "runs:write"] }), "Signed in as bob · workspace a · runs:read runs:write");
});

test("the shared token is the admin of all workspaces", () => {
  assert.equal(signedInText({ user: "admin", workspaces: ["*"], scopes: ["admin", "runs:read", "runs:write"] }), "Signed in as admin · admin · all workspaces · runs:read runs:write");
});

test("a token without scopes says so, and nonsense shows nothing", () => {
  assert.equal(signedInText({ user: "carol", workspaces: ["c"], scopes: [] }), "Signed in as carol · workspace c · no scopes");
  assert.equal(signedInText(null), "");
  assert.equal(signedInText({ workspaces: ["a"] }), "");
});

test("403 and 404 are said plainly, with the server's reason", () => {
  assert.equal(refusalText(403, "This token lacks the runs:write scope"), "Not allowed (403): This token lacks the runs:write scope");
  assert.equal(refusalText(404, "Run 'x' not found"), "Not found (404): Run 'x' not found");
  assert.equal(refusalText(409, "Run 'x' has already finished"), "Run 'x' has already finished");
  assert.equal(refusalText(500, ""), "HTTP 500");
});

test("an expired token asks for a new one; any other refusal for the right one", () => {
  assert.match(tokenPrompt(EXPIRED), /expired\. Enter a new one/);
  assert.match(tokenPrompt("Unauthorized"), /401 Unauthorized/);
});
