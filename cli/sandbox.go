package cli

import (
	"path/filepath"
	"strings"
	"time"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/internal/sandbox"
	"gitlab.com/wend/wend/remote/audit"
	"gitlab.com/wend/wend/remote/health"
	"gitlab.com/wend/wend/session/tools"
)

// sandboxed sets the command sandbox of cfg from the settings: run_command
// (and through it the Duo engine's commands) runs isolated unless the user
// set sandbox = "off" (internal/sandbox).
func (g *globals) sandboxed(s *config.Settings, cfg tools.Config) tools.Config {
	cfg.Sandbox = g.commandSandbox(s)
	return cfg
}

// commandSandbox is the sandbox the settings describe, nil when it is off.
// Besides the built-in list (~/.ssh, ~/.gnupg, ~/.aws, ~/.config/wend, …) it
// hides wend's own key and token files, the --config file, the audit log and
// the user's sandbox_deny_read paths. Commands may write the repository,
// $TMPDIR, the build caches and the user's sandbox_writable directories. The
// init is wend itself (main.go).
func (g *globals) commandSandbox(s *config.Settings) *sandbox.Sandbox {
	if s.Sandbox == "off" {
		return nil
	}
	deny := []string{filepath.Dir(config.UserConfigPath()), filepath.Dir(config.TrustStorePath())}
	deny = append(deny, s.SecretFiles...)
	if g.configFile != "" {
		if abs, err := filepath.Abs(g.configFile); err == nil {
			deny = append(deny, abs)
		}
	}
	if p, err := audit.DefaultPath(); err == nil {
		deny = append(deny, filepath.Dir(p))
	}
	deny = append(deny, s.SandboxDenyRead...)
	return &sandbox.Sandbox{DenyRead: deny, Writable: s.SandboxWritable, Network: s.SandboxNetwork, Required: s.Sandbox == "required"}
}

// sandboxNotice is the warning a session starts with when its commands will
// not be sandboxed ("" when they will, or when the user turned it off). It
// runs one trivial sandboxed command to find out.
func sandboxNotice(reg *tools.Registry) string {
	iso := reg.CommandIsolation()
	if iso == "" || strings.HasPrefix(iso, "runs sandboxed") {
		return ""
	}
	return "commands " + iso + `; set sandbox = "required" in your config to refuse them instead, or see wend doctor`
}

// sandboxCheck is doctor's line on command isolation.
func sandboxCheck(s *config.Settings, g *globals) health.Result {
	sb := g.commandSandbox(s)
	if sb == nil {
		return health.Result{Name: "sandbox", Status: health.Warn, Reason: `off (sandbox = "off"): commands run with all your access`,
			Fix: `remove sandbox = "off" from your config`}
	}
	start := time.Now()
	sup := sb.Probe()
	// The level first (what a command the agent runs can and cannot do), then
	// the mechanisms found, so the line answers "am I protected?" by itself.
	r := health.Result{Name: "sandbox", Status: health.Pass, Duration: time.Since(start),
		Reason: "commands run sandboxed: " + sb.Limits() + ", nothing outlives them; " + sup.String()}
	if sup.Namespaces != nil {
		r.Reason = "commands run NOT sandboxed, with all your access; " + sup.String()
		r.Status, r.Fix = health.Warn, "commands run NOT sandboxed; allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or user.max_user_namespaces > 0, or a container with a seccomp profile that permits them)"
		if sb.Required {
			r.Status = health.Fail
			r.Fix = `sandbox = "required" refuses every command here; ` + r.Fix
		}
	}
	return r
}
