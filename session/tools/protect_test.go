package tools

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/session/steer"
)

// attempt puts one write through the path every engine takes (the policy in
// steer.Controls.Approve judging Registry.Effect, the dialog showing
// Registry.Describe, then Execute) with a user who denies every request. It
// returns the requests the user was shown and the call's result.
func attempt(t *testing.T, f *fixture, policy session.ApprovalPolicy, name string, args any) ([]session.ApprovalRequest, Result) {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	call := Call{ID: "1", Name: name, Args: raw}
	events := make(chan session.Event, 16)
	ctl := steer.New(steer.Config{Log: session.NewLog(func(e session.Event) { events <- e }), Policy: policy, Interactive: true})
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
					_ = ctl.Resolve(ctx, session.Decision{Kind: session.DecideApproval, RequestID: p.Request.ID, Reason: "test denies"})
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	ap := ctl.Approve(ctx, steer.Call{Tool: name, Effect: f.reg.Effect(call),
		Describe: func() (session.ApprovalRequest, string) { return f.reg.Describe(call), "1" }})
	res := Result{IsError: true, Output: ap.Output, Summary: ap.Summary}
	if ap.OK {
		res = f.reg.Execute(ctx, call)
	}
	cancel()
	return <-shown, res
}

// Writing wend's own config, git's directory or a path the user protects must
// never happen silently, whatever the policy: each such write asks, naming the
// path and why, or is refused outright.
func TestProtectedWritesAskEvenUnderAutoEditAndFullAuto(t *testing.T) {
	for _, policy := range []session.ApprovalPolicy{session.PolicyAutoEdit, session.PolicyFullAuto} {
		t.Run(string(policy), func(t *testing.T) {
			f := newFixture(t, map[string]string{"main.go": "package main\n", "sub/.wend.toml": "model = \"m\"\n"})
			for _, tc := range []struct {
				name, path, why string
				args            any
			}{
				{"root config", ".wend.toml", "wend's repository config", obj{"path": ".wend.toml", "content": "approval = \"full-auto\"\n"}},
				{"nested config", "sub/.wend.toml", "wend's repository config", obj{"path": "sub/.wend.toml", "content": "base_url = \"http://x\"\n"}},
				{"config in other case", ".Wend.TOML", "wend's repository config", obj{"path": ".Wend.TOML", "content": "x = 1\n"}},
			} {
				reqs, res := attempt(t, f, policy, ToolCreateFile, tc.args)
				if len(reqs) != 1 {
					t.Errorf("%s: %s wrote %s without asking (result %q)", tc.name, policy, tc.path, res.Output)
					continue
				}
				r := reqs[0]
				if r.Path != tc.path || r.Kind != session.ApproveProtected || !strings.Contains(r.Detail, tc.path) || !strings.Contains(r.Detail, tc.why) {
					t.Errorf("%s: the request must name %s and say why (%q): %+v", tc.name, tc.path, tc.why, r)
				}
				if !res.IsError {
					t.Errorf("%s: denied, yet the write ran", tc.name)
				}
			}
			// Git's directory, in any casing, is refused outright: no approval could
			// make a hook or a config entry there safe, and git itself never checks
			// out a .GIT path. Nothing may land on disk.
			for _, tc := range []struct {
				tool string
				args any
				path string
			}{
				{ToolEditFile, obj{"path": ".git/config", "old_string": "[core]", "new_string": "[core]\n\thooksPath = /tmp"}, ".git/config"},
				{ToolCreateFile, obj{"path": ".GIT/hooks/x", "content": "#!/bin/sh\n"}, ".GIT/hooks/x"},
				{ToolCreateFile, obj{"path": ".git./hooks/x", "content": "#!/bin/sh\n"}, ".git./hooks/x"},
				{ToolCreateFile, obj{"path": ".git", "content": "gitdir: /tmp/elsewhere\n"}, ".git"},
			} {
				reqs, res := attempt(t, f, policy, tc.tool, tc.args)
				asked := len(reqs) == 1 && reqs[0].Path == tc.path && reqs[0].Kind == session.ApproveProtected
				refused := res.IsError && strings.Contains(res.Output, tc.path) && strings.Contains(res.Output, ".git")
				if !asked && !refused {
					t.Errorf("%s %s under %s: neither asked naming the path nor refused: %+v %q", tc.tool, tc.path, policy, reqs, res.Output)
				}
				if _, err := os.Stat(filepath.Join(f.dir, ".GIT", "hooks", "x")); err == nil {
					t.Fatalf("%s under %s wrote a hook into .GIT", tc.tool, policy)
				}
			}
			// An ordinary write still follows the policy: no question.
			if reqs, res := attempt(t, f, policy, ToolCreateFile, obj{"path": "notes.txt", "content": "hi\n"}); len(reqs) != 0 || res.IsError {
				t.Errorf("an ordinary write under %s: asked %v, %q", policy, reqs, res.Output)
			}
		})
	}
}

func TestUserProtectedPathsAndConfigDirAsk(t *testing.T) {
	f := newFixture(t, map[string]string{"main.go": "package main\n", "secrets/db.txt": "pw\n", ".env": "A=1\n"},
		func(c *Config) {
			c.ProtectedPaths = []string{"secrets/**", ".env*"}
			// A dotfiles repository can hold the user's own config directory.
			c.ProtectedDirs = []string{filepath.Join(c.Root, "home", ".config", "wend")}
		})
	if err := os.Symlink("secrets/db.txt", filepath.Join(f.dir, "innocent.txt")); err != nil {
		t.Fatal(err)
	}
	for _, policy := range []session.ApprovalPolicy{session.PolicyAutoEdit, session.PolicyFullAuto} {
		for _, tc := range []struct {
			path, why string
			args      any
		}{
			{"secrets/new.key", `protected_paths "secrets/**"`, obj{"path": "secrets/new.key", "content": "k\n"}},
			{"config/.env.local", `protected_paths ".env*"`, obj{"path": "config/.env.local", "content": "B=2\n"}},
			{".ENV", `protected_paths ".env*"`, obj{"path": ".ENV", "content": "B=2\n"}},
			{"secrets/db.txt", `protected_paths "secrets/**"`, obj{"path": "innocent.txt", "content": "x\n"}},
			{"home/.config/wend/config.toml", "wend's user config directory", obj{"path": "home/.config/wend/config.toml", "content": "approval = \"full-auto\"\n"}},
		} {
			reqs, res := attempt(t, f, policy, ToolCreateFile, tc.args)
			if len(reqs) != 1 {
				t.Errorf("%s wrote %s without asking: %q", policy, tc.path, res.Output)
				continue
			}
			r := reqs[0]
			if r.Kind != session.ApproveProtected || r.Path != tc.path || !strings.Contains(r.Detail, tc.path) || !strings.Contains(r.Detail, tc.why) {
				t.Errorf("%s: the request must name %s and %q: %+v", policy, tc.path, tc.why, r)
			}
		}
	}
	if _, err := New(Config{Root: f.dir, ProtectedPaths: []string{"[oops"}}); err == nil {
		t.Error("a malformed protected path must be an error, not an unprotected file")
	}
}

// An approval for a protected write covers that one call: neither a grant for
// the step's edits nor the same approval answered "for this step" lets the next
// protected write through, and a headless run refuses it with the reason.
func TestProtectedWriteApprovalIsNeverRemembered(t *testing.T) {
	f := newFixture(t, map[string]string{"main.go": "package main\n"})
	raw, _ := json.Marshal(obj{"path": ".wend.toml", "content": "model = \"m\"\n"})
	call := Call{ID: "1", Name: ToolCreateFile, Args: raw}
	events := make(chan session.Event, 16)
	ctl := steer.New(steer.Config{Log: session.NewLog(func(e session.Event) { events <- e }), Policy: session.PolicyAsk, Interactive: true})
	ctl.Remember(session.ApprovalRequest{Kind: session.ApproveWrite}, "1", session.ScopeStep)
	ctl.Remember(session.ApprovalRequest{Kind: session.ApproveProtected}, "1", session.ScopeStep)
	approve := steer.Call{Tool: call.Name, Effect: f.reg.Effect(call),
		Describe: func() (session.ApprovalRequest, string) { return f.reg.Describe(call), "1" }}
	for i := range 2 {
		done := make(chan steer.Approval, 1)
		go func() { done <- ctl.Approve(context.Background(), approve) }()
		var asked bool
		for !asked {
			e := <-events
			if p, ok := e.Payload.(session.ApprovalRequested); ok {
				asked = true
				ctl.Resolve(context.Background(), session.Decision{Kind: session.DecideApproval, RequestID: p.Request.ID, Approve: true, Scope: session.ScopeStep})
			}
		}
		if ap := <-done; !ap.OK || ap.Scope != session.ScopeOnce {
			t.Fatalf("call %d: %+v", i, ap)
		}
	}
	headless := steer.New(steer.Config{Log: session.NewLog(nil), Policy: session.PolicyFullAuto})
	ap := headless.Approve(context.Background(), approve)
	if ap.OK || !strings.Contains(ap.Output, ".wend.toml") || !strings.Contains(ap.Output, "wend's repository config") {
		t.Fatalf("headless full-auto must refuse naming the path and why: %+v", ap)
	}
}
