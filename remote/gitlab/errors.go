package gitlab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/redact"
)

// Error is a failed GitLab call explained for a person: what was asked, of
// which instance, what GitLab said, and what to do about it.
type Error struct {
	Status   int    // HTTP status; 0 for transport failures
	Instance string // instance web root
	What     string // "issue g/p#12"
	Message  string // GitLab's message, redacted
	Advice   string // what the user can do
	err      error
	// unreadable: GitLab answered, but the answer could not be read; Message
	// names the field and what was wrong with it.
	unreadable bool
}

func (e *Error) Error() string {
	if e.unreadable {
		return fmt.Sprintf("GitLab answered, but wend could not read %s: %s; please report this with `wend doctor --report`", e.What, e.Message)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s", e.What, e.Instance)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " (%s)", e.Message)
	}
	if e.Advice != "" {
		b.WriteString(". " + e.Advice)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.err }

// StatusOf returns the HTTP status behind err, or 0.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	var er *gl.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// explain turns a client-go error into an *Error; what names the object asked
// for; resp, when not nil, supplies the status and body client-go drops for a 404.
func (c *Client) explain(err error, what string, resp *gl.Response) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Instance: c.BaseURL(), What: what, err: err}
	var er *gl.ErrorResponse
	if errors.Is(err, gl.ErrNotFound) {
		er = &gl.ErrorResponse{StatusCode: http.StatusNotFound, Response: &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}}}
		if resp != nil && resp.Response != nil {
			er.Response = resp.Response
			er.Body = []byte(resp.Header.Get(notFoundHeader))
		}
	}
	if msg, ok := decodeFailure(err); ok {
		// Never "check the network": the network worked.
		e.Message, e.unreadable = redact.String(msg), true
		return e
	}
	var limit *httpx.Error
	if er == nil && errors.As(err, &limit) {
		// The policy names the host, the bound and the setting to change.
		e.Message = redact.String(limit.Error())
		return e
	}
	if er == nil && (!errors.As(err, &er) || er.Response == nil) {
		e.Message = redact.String(transportMessage(err))
		e.Advice = "check the network, HTTPS_PROXY/NO_PROXY and SSL_CERT_FILE; `wend doctor` tests each step"
		return e
	}
	e.Status = er.Response.StatusCode
	body := parseErrorBody(er.Body)
	e.Message = redact.String(body.message)
	tokenPage := c.BaseURL() + "/-/user_settings/personal_access_tokens"
	switch e.Status {
	case http.StatusUnauthorized:
		e.Advice = "the token is missing, invalid, expired or revoked; create a personal access token with the api (or read_api) scope at " + tokenPage + " and set GITLAB_TOKEN or gitlab_token_file"
	case http.StatusForbidden:
		switch {
		case body.scope != "":
			e.Advice = "the token lacks the scope GitLab asks for (" + body.scope + "); create a token with it at " + tokenPage
		case body.err == "insufficient_scope":
			e.Advice = "the token's scopes are not enough: reading needs read_api, writing needs api; create one at " + tokenPage
		default:
			e.Advice = "your role on " + c.project + " does not allow this: reading needs Guest or Reporter, creating merge requests and notes needs Developer; ask a Maintainer, or check the token's scopes (api for writes)"
		}
	case http.StatusNotFound:
		e.Advice = "check the reference; GitLab also answers 404 when the project or group is private and the token's user cannot see it"
	case http.StatusTooManyRequests:
		e.Advice = "GitLab is rate limiting this token; wait a minute and try again"
		if d, ok := retryAfter(er.Response.Header, timeNow()); ok {
			e.Advice = fmt.Sprintf("GitLab is rate limiting this token; retry after %s", d.Round(1e9))
		}
	default:
		if e.Status >= 500 {
			e.Advice = "GitLab failed on its side (retried already); try again later or check the instance's status page"
		}
	}
	return e
}

// decodeFailure recognises an answer that arrived but could not be read:
// wend's own DecodeError, or encoding/json's errors from a client-go call.
func decodeFailure(err error) (string, bool) {
	var de *DecodeError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tp *time.ParseError
	switch {
	case errors.As(err, &de):
		return de.Error(), true
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(the whole answer)"
		}
		return fmt.Sprintf("%s: got a JSON %s, want %s", field, typ.Value, typ.Type), true
	case errors.As(err, &syn):
		return fmt.Sprintf("(the whole answer): not JSON at byte %d: %v", syn.Offset, syn), true
	case errors.As(err, &tp):
		return fmt.Sprintf("a time: %q is not in the layout %s", tp.Value, tp.Layout), true
	}
	return "", false
}

type errorBody struct{ message, err, scope string }

// parseErrorBody reads GitLab's error shapes: {"message": "..."} (string or
// object of field errors), {"error": "...", "error_description": "...", "scope": "..."}.
func parseErrorBody(b []byte) errorBody {
	var raw map[string]json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return errorBody{message: strings.TrimSpace(string(truncate(b, 200)))}
	}
	var out errorBody
	str := func(k string) string {
		var s string
		if v, ok := raw[k]; ok && json.Unmarshal(v, &s) == nil {
			return s
		}
		if v, ok := raw[k]; ok {
			return string(truncate(v, 200))
		}
		return ""
	}
	out.message, out.err, out.scope = str("message"), str("error"), str("scope")
	if d := str("error_description"); d != "" {
		out.message = strings.TrimSpace(out.message + " " + d)
	}
	if out.message == "" {
		out.message = out.err
	}
	return out
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// transportMessage strips the request URL that net/http puts in its errors.
func transportMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		return msg[i+3:]
	}
	return msg
}

// notFoundHeader carries a 404's body past client-go, which replaces a 404 with
// the bare ErrNotFound; GitLab's body says what was missing ("404 Project Not
// Found" or "404 Issue Not Found"), which is what the user needs to know.
const notFoundHeader = "X-Wend-Not-Found"

type keepNotFound struct{ next http.RoundTripper }

func (k keepNotFound) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := k.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusNotFound {
		return resp, err
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.Header.Set(notFoundHeader, strings.ToValidUTF8(strings.Join(strings.Fields(string(b)), " "), ""))
	return resp, nil
}
