package llm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"gitlab.com/wend/wend/remote/httpx"
	"gitlab.com/wend/wend/remote/redact"
)

// classifier turns HTTP statuses, provider error bodies and transport failures
// into *Error values whose Message tells the user what to do next.
type classifier struct {
	provider string // "anthropic" or "openai"
	keyEnv   string // the environment variable that holds the key
	apiKey   string // only ever used to redact provider messages
	baseURL  string
	model    string
	now      func() time.Time
}

// apiFailure is what an adapter extracts from a provider error: the HTTP status
// (200 for an error event inside a stream), the error body's type and code, its
// message, and the response headers.
type apiFailure struct {
	status  int
	typ     string
	code    string
	message string
	header  http.Header
}

func (c classifier) api(f apiFailure, cause error) *Error {
	e := &Error{Provider: c.provider, Status: f.status, Err: cause}
	if f.status == http.StatusOK {
		e.Status = 0 // an error event inside a 200 stream: no status worth showing
	}
	said := c.redact(f.message)
	if said != "" {
		said = " (the provider said: " + said + ")"
	}
	lower := strings.ToLower(f.message + " " + f.code + " " + f.typ)
	status := f.status
	if status == http.StatusOK {
		// Inside a 200 stream some servers say the kind only as an HTTP status
		// in the code (LiteLLM's "429", vLLM's and llama.cpp's 500).
		if n := httpStatusCode(f.code); n != 0 {
			status = n
		}
	}
	switch {
	case f.status == 401 || f.status == 403 || f.typ == "authentication_error" ||
		f.typ == "permission_error" || f.code == "invalid_api_key":
		e.Kind = ErrAuth
		// The provider's own message is left out on purpose, from the cause too:
		// OpenAI echoes part of the key.
		e.Err = fmt.Errorf("HTTP %d %s", f.status, strings.TrimSpace(f.typ+" "+f.code))
		e.Message = fmt.Sprintf("the API key was rejected; check %s (or the key in your wend config) and that it may use model %q", c.keyEnv, c.model)
	case f.code == "context_length_exceeded" || f.status == 413 || f.typ == "exceed_context_size_error" ||
		strings.Contains(lower, "prompt is too long") || strings.Contains(lower, "maximum context length") ||
		strings.Contains(lower, "context length") || strings.Contains(lower, "context window") ||
		strings.Contains(lower, "context size") || strings.Contains(lower, "context_length_exceeded"):
		e.Kind = ErrContextLength
		e.Message = fmt.Sprintf("the conversation is too long for model %q%s; start a new session, narrow the task, or use a model with a larger context window", c.model, said)
	case status == 404 || f.typ == "not_found_error" || f.code == "model_not_found":
		e.Kind = ErrUnknownModel
		e.Message = fmt.Sprintf("model %q is not available at %s%s; choose another with --model (or check --base-url)", c.model, c.where(), said)
	case status == 429 || f.typ == "rate_limit_error" || f.code == "rate_limit_exceeded":
		e.Kind = ErrRateLimit
		e.Message = "rate limited by the provider" + said + "; wait a little, or check your plan's limits"
	case status == 529 || status == 503 || f.typ == "overloaded_error":
		e.Kind = ErrOverloaded
		e.Message = "the provider is overloaded" + said + "; try again in a few minutes"
	case status >= 500 || f.typ == "api_error" || f.typ == "server_error":
		e.Kind = ErrServer
		e.Message = "the provider had an internal error" + said + "; try again"
	default:
		e.Kind = ErrBadRequest
		e.Message = "the provider rejected the request" + said
	}
	e.RetryAfter = retryAfter(f.header, c.now())
	return e
}

// transport classifies an error that is not an API error body: the context
// ending, the server being unreachable, the connection dropping, or bytes that
// do not parse. ctx errors are returned as they are, so callers can match them.
// where, when not empty, says how far the answer had got (see cut).
func (c classifier) transport(ctx context.Context, err error, where string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var limit *httpx.Error
	if errors.As(err, &limit) {
		// The policy's own words name the host, the bound and the setting.
		kind := ErrLimit
		if limit.Kind == httpx.KindConnect {
			kind = ErrUnreachable
		}
		return &Error{Kind: kind, Provider: c.provider, Err: limit, Message: limit.Error()}
	}
	var (
		syn  *json.SyntaxError
		typ  *json.UnmarshalTypeError
		dns  *net.DNSError
		op   *net.OpError
		cert *tls.CertificateVerificationError
		una  x509.UnknownAuthorityError
	)
	switch {
	case errors.As(err, &typ):
		// Valid JSON with a field in a shape wend does not read: not a
		// transport fault and not proof of a wrong URL.
		return &Error{Kind: ErrMalformed, Provider: c.provider, Err: err,
			Message: fmt.Sprintf("%s sent an event wend could not read (field %q: got a JSON %s, want %s); if --base-url points at %s API, please report this with wend doctor --report",
				c.where(), typ.Field, typ.Value, typ.Type, c.dialect())}
	case errors.As(err, &syn):
		return &Error{Kind: ErrMalformed, Provider: c.provider, Err: err,
			Message: fmt.Sprintf("%s sent an event that is not valid JSON (%v); check that --base-url points at %s API", c.where(), err, c.dialect())}
	case errors.As(err, &dns), errors.As(err, &op) && op.Op == "dial",
		errors.As(err, &cert), errors.As(err, &una):
		return &Error{Kind: ErrUnreachable, Provider: c.provider, Err: err,
			Message: fmt.Sprintf("cannot reach %s (%s); check --base-url and that the server is running and reachable", c.where(), rootCause(err))}
	}
	if where != "" {
		e := c.cut(where + ": " + rootCause(err))
		e.Err = err
		return e
	}
	return &Error{Kind: ErrStreamCut, Provider: c.provider, Err: err,
		Message: fmt.Sprintf("the connection to %s broke before the answer began (%s); try again", c.where(), rootCause(err))}
}

// cut reports a stream that ended cleanly at the TCP level but before the
// provider's end marker, which is how a proxy timeout or a crashed server looks.
func (c classifier) cut(what string) *Error {
	return &Error{Kind: ErrStreamCut, Provider: c.provider,
		Message: fmt.Sprintf("the answer from %s stopped mid-way (%s); try again", c.where(), what)}
}

func (c classifier) malformed(what string) *Error {
	return &Error{Kind: ErrMalformed, Provider: c.provider,
		Message: fmt.Sprintf("%s sent an unexpected event (%s); check that --base-url points at %s API", c.where(), what, c.dialect())}
}

func (c classifier) where() string {
	if c.baseURL != "" {
		return c.baseURL
	}
	return c.provider
}

func (c classifier) dialect() string {
	if c.provider == "anthropic" {
		return "an Anthropic Messages"
	}
	return "an OpenAI-compatible Chat Completions"
}

// redact removes the key from text that came from the provider; some providers
// echo a key, or a prefix of it, in their error messages.
func (c classifier) redact(s string) string {
	return strings.TrimSpace(redact.Literal(s, c.apiKey, "[redacted]"))
}

// rootCause is the innermost error's text, without url.Error's "Post <url>:"
// prefix, which repeats what the message already says.
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// badURL reports a base_url wend cannot send a request to; retrying would not
// help.
func (c classifier) badURL(err error) *Error {
	return &Error{Kind: ErrUnreachable, Provider: c.provider, Err: err,
		Message: err.Error() + "; check --base-url (or base_url in your wend config)"}
}
