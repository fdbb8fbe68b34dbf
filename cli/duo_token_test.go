package cli

import (
	"os/exec"
	"strings"
	"testing"

	"gitlab.com/wend/wend/remote/duo/duotest"
)

// On the direct (gRPC) path direct_access hands wend a GitLab token of the
// workflow's own for runHTTPRequest. It is a credential like the user's: when
// anything the service reads would show it (here a command prints it), it is
// masked.
func TestDuoDirectAccessTokenIsMasked(t *testing.T) {
	sc, err := duotest.LoadScript("../testdata/duo/token.json")
	if err != nil {
		t.Fatal(err)
	}
	srv := duotest.New(t, sc)
	dir := demoRepo(t)
	if out, err := exec.Command("git", "-C", dir, "remote", "add", "origin", srv.URL+"/group/stats.git").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	env := wendEnv(t, map[string]string{"GITLAB_TOKEN": srv.Token, "GITLAB_URL": srv.URL, "WEND_DUO_TRANSPORT": "grpc"})
	code, out, errOut := wend(t, env, "-C", dir, "run", "--provider", "gitlab-duo", "--approval", "full-auto", "--json", "print the token")
	if code != ExitOK {
		t.Fatalf("exit %d\nstderr: %s\nstdout: %s", code, errOut, out)
	}
	for _, f := range srv.Failures() {
		t.Errorf("fake: %s", f) // the command's answer to the service held the token unmasked
	}
	if strings.Contains(out+errOut, srv.RailsToken) {
		t.Errorf("the workflow's GitLab token appears in wend's output:\n%s", out)
	}
}
