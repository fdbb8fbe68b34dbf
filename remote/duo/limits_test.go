package duo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"gitlab.com/wend/wend/remote/duo"
	"gitlab.com/wend/wend/remote/duo/contract"
	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/httpx/httpxtest"
)

// The token (and a runHTTPRequest's body) never follow a redirect to another
// host, from the workflows REST client or from DoHTTPRequest.
func TestTokenNeverFollowsARedirectToAnotherHost(t *testing.T) {
	for _, code := range []int{302, 307, 308} {
		a, b := httpxtest.Redirect(t, code)
		c, err := duo.New(duo.Options{BaseURL: a.URL, Token: "glpat-leakleakleak"})
		if err != nil {
			t.Fatal(err)
		}
		_, restErr := c.UpdateStatus(context.Background(), "7", duo.StatusEventPause)
		got := duo.DoHTTPRequest(context.Background(), nil, a.URL, "glpat-leakleakleak",
			&contract.RunHTTPRequest{Method: "POST", Path: "/api/v4/projects/1/issues", Body: proto.String(`{"title":"secret"}`)})
		for _, r := range b.Requests() {
			t.Errorf("%d: the other host got %s %s with Authorization=%q body %q", code, r.Method, r.Path, r.Header.Get("Authorization"), r.Body)
		}
		want := "redirected to " + b.URL + "; wend does not send credentials to another host: set gitlab_url to the final address"
		if restErr == nil || !strings.Contains(restErr.Error(), want) {
			t.Errorf("%d: REST err = %v\nwant it to contain %q", code, restErr, want)
		}
		if !strings.Contains(got.GetError(), want) {
			t.Errorf("%d: DoHTTPRequest answered %+v\nwant an error containing %q", code, got, want)
		}
	}
}

func TestStalledRESTEndsWithTheLimit(t *testing.T) {
	srv := httpxtest.Silent(t)
	c, err := duo.New(duo.Options{BaseURL: srv.URL, Token: "t", Limits: httpx.Limits{Response: 150 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetWorkflow(context.Background(), "7")
	want := "GitLab at " + strings.TrimPrefix(srv.URL, "http://") + " sent no response for 150ms (response timeout; raise with response_timeout)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v\nwant it to contain %q", err, want)
	}
}
