package duoengine

import (
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session"
)

// GitLab's answer to runHTTPRequest goes to the service (a model) and into the
// session log, like any tool output, so it passes through the same redaction
// as every registry tool's result. The request itself reaches GitLab as asked.
func TestDuoHTTPAnswerIsRedacted(t *testing.T) {
	const secret = "glpat-AbCdEfGhIjKlMnOpQrSt12"
	r := newRig(t, "../../testdata/duo/http_secret.json", rigOptions{transport: "grpc", policy: session.PolicyAutoEdit, redact: redact.String})
	r.start("List the variables")
	fin := r.wait()
	r.noFailures()
	if fin.State != session.StateFinished {
		t.Fatalf("state %s: %s", fin.State, fin.Error)
	}
	sent := false
	for _, req := range r.srv.Requests() {
		sent = sent || req.Query.Get("echo") == secret
	}
	if !sent {
		t.Fatal("control: the request did not reach GitLab as the service asked")
	}
	h := r.responses()["req-1-1"].GetHttpResponse()
	if h == nil || h.GetStatusCode() != 200 {
		t.Fatalf("http response %v", h)
	}
	if strings.Contains(h.GetBody(), secret) || !strings.Contains(h.GetBody(), redact.Mask) {
		t.Errorf("the service received GitLab's answer unmasked: %s", h.GetBody())
	}
	for _, f := range ofType[session.ToolFinished](r.all()) {
		if strings.Contains(f.Output, secret) || strings.Contains(f.Summary, secret) {
			t.Errorf("the session log holds the token: %+v", f)
		}
	}
}
