//go:build linux

package tools

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"gitlab.com/wend/wend/internal/sandbox"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
)

// user answers every approval request the same way.
type user struct {
	approve bool
	scope   session.ApprovalScope
}

// approveAndRun puts calls through the path every engine takes
// (steer.Controls.Approve judging Registry.Effect, the dialog showing
// Registry.Describe, then Execute), in one session with one Controls, so a
// grant the user gave for the first call would cover the later ones. It
// returns the requests the user was shown and each call's result.
func approveAndRun(t *testing.T, f *fixture, policy session.ApprovalPolicy, interactive bool, u user, calls ...obj) ([]session.ApprovalRequest, []Result) {
	t.Helper()
	events := make(chan session.Event, 64)
	ctl := steer.New(steer.Config{Log: session.NewLog(func(e session.Event) { events <- e }), Policy: policy, Interactive: interactive})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	shown := make(chan []session.ApprovalRequest, 1)
	go func() {
		var reqs []session.ApprovalRequest
		defer func() { shown <- reqs }()
		for {
			select {
			case e := <-events:
				if p, ok := e.Payload.(session.ApprovalRequested); ok {
					reqs = append(reqs, p.Request)
					_ = ctl.Resolve(ctx, session.Decision{Kind: session.DecideApproval, RequestID: p.Request.ID,
						Approve: u.approve, Scope: u.scope, Reason: "test user"})
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	var results []Result
	for _, args := range calls {
		raw, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		call := Call{ID: "1", Name: ToolRunCommand, Args: raw}
		ap := ctl.Approve(ctx, steer.Call{Tool: call.Name, Effect: f.reg.Effect(call),
			Describe: func() (session.ApprovalRequest, string) { return f.reg.Describe(call), "1" }})
		res := Result{IsError: true, Output: ap.Output, Summary: ap.Summary}
		if ap.OK {
			res = f.reg.Execute(ctx, call)
		}
		results = append(results, res)
	}
	cancel()
	return <-shown, results
}

// hostListener is a TCP listener on the host's loopback: a sandboxed command
// reaches it only when it keeps the host's network namespace. accepted
// receives once per connection.
func hostListener(t *testing.T) (addr string, accepted chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted = make(chan struct{}, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	return ln.Addr().String(), accepted
}

// A command that says it needs the network asks for it under every policy but
// read-only, one call at a time: auto-edit and full-auto included, no step or
// prefix grant, nothing remembered. Only an approved call reaches the network.
func TestNetworkForACommandIsAskedEveryTimeAndGrantedOnlyToIt(t *testing.T) {
	opt, _ := sandboxed(t)
	addr, accepted := hostListener(t)
	dial := `"$TESTBIN" __dial ` + addr + ` && echo CONNECTED`
	for _, policy := range []session.ApprovalPolicy{session.PolicyAsk, session.PolicyAutoEdit, session.PolicyFullAuto} {
		t.Run(string(policy), func(t *testing.T) {
			f := newFixture(t, nil, opt)
			// The user denies: the command does not run at all.
			reqs, res := approveAndRun(t, f, policy, true, user{approve: false}, obj{"command": dial, "network": true})
			if len(reqs) != 1 {
				t.Fatalf("a network command under %s asked %d times: %+v", policy, len(reqs), reqs)
			}
			r := reqs[0]
			if r.Kind != session.ApproveNetwork || r.Prefix != "" || r.Command != dial ||
				!strings.Contains(r.Detail, "This command asks for network access") || strings.Contains(r.Detail, "no network") {
				t.Errorf("the request must be a network request naming the command, with no prefix to remember: %+v", r)
			}
			if !res[0].IsError || strings.Contains(res[0].Output, "CONNECTED") {
				t.Errorf("denied, yet the command ran: %q", res[0].Output)
			}
			// The user approves "for the whole step": it still covers one call.
			reqs, res = approveAndRun(t, f, policy, true, user{approve: true, scope: session.ScopeStep},
				obj{"command": dial, "network": true}, obj{"command": dial, "network": true})
			if len(reqs) != 2 {
				t.Errorf("the second network call under %s ran on the first one's grant: %d requests", policy, len(reqs))
			}
			for i, r := range res {
				if r.IsError || !strings.Contains(r.Output, "CONNECTED") {
					t.Errorf("approved network call %d did not reach the host:\n%s", i+1, r.Output)
				}
			}
			for range 2 {
				select {
				case <-accepted:
				case <-time.After(10 * time.Second):
					t.Fatal("the listener never saw the approved connections")
				}
			}
			// Without the argument the command has no network, as before.
			_, res = approveAndRun(t, f, session.PolicyFullAuto, true, user{approve: true}, obj{"command": dial})
			if strings.Contains(res[0].Output, "CONNECTED") {
				t.Errorf("a command without network: true reached the host:\n%s", res[0].Output)
			}
		})
	}
}

func TestNetworkForACommandIsRefusedReadOnlyAndHeadless(t *testing.T) {
	opt, _ := sandboxed(t)
	addr, _ := hostListener(t)
	dial := `"$TESTBIN" __dial ` + addr + ` && echo CONNECTED`
	f := newFixture(t, nil, opt)
	reqs, res := approveAndRun(t, f, session.PolicyReadOnly, true, user{approve: true}, obj{"command": dial, "network": true})
	if len(reqs) != 0 || !res[0].IsError || strings.Contains(res[0].Output, "CONNECTED") {
		t.Errorf("read-only: asked %v, ran %q", reqs, res[0].Output)
	}
	reqs, res = approveAndRun(t, f, session.PolicyFullAuto, false, user{approve: true}, obj{"command": dial, "network": true})
	if len(reqs) != 0 || !res[0].IsError || strings.Contains(res[0].Output, "CONNECTED") {
		t.Fatalf("headless full-auto: asked %v, ran %q", reqs, res[0].Output)
	}
	for _, want := range []string{"network access", "only the user can approve", "without the network"} {
		if !strings.Contains(res[0].Output, want) {
			t.Errorf("the headless refusal should say %q:\n%s", want, res[0].Output)
		}
	}
}

// The argument matters only when the sandbox would cut the network: with
// sandbox_network on, or no sandbox, the command has it anyway and is judged
// as any command.
func TestNetworkArgumentIsAnOrdinaryCommandWhenTheNetworkIsThere(t *testing.T) {
	opt, _ := sandboxed(t)
	call := Call{Name: ToolRunCommand, Args: json.RawMessage(`{"command":"go mod download","network":true}`)}
	if e := newFixture(t, nil, opt).reg.Effect(call); e != session.EffectNetwork {
		t.Errorf("sandboxed without network: effect %q, want %q", e, session.EffectNetwork)
	}
	withNet := newFixture(t, nil, opt, func(c *Config) { c.Sandbox = &sandbox.Sandbox{InitPath: c.Sandbox.InitPath, Network: true} })
	if e := withNet.reg.Effect(call); e != session.EffectCommand {
		t.Errorf("sandbox_network on: effect %q, want %q", e, session.EffectCommand)
	}
	if e := newFixture(t, nil).reg.Effect(call); e != session.EffectCommand {
		t.Errorf("no sandbox: effect %q, want %q", e, session.EffectCommand)
	}
	plain := Call{Name: ToolRunCommand, Args: json.RawMessage(`{"command":"go test","network":false}`)}
	if e := newFixture(t, nil, opt).reg.Effect(plain); e != session.EffectCommand {
		t.Errorf("network false: effect %q", e)
	}
}
