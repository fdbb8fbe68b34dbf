package cli

import (
	"time"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/remote/health"
)

// sandboxCheck is doctor's line on command isolation.
func sandboxCheck(s *config.Settings, configFile string) health.Result {
	sb := assemble.CommandSandbox(s, configFile)
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
