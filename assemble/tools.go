package assemble

import (
	"path/filepath"
	"strings"

	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/internal/sandbox"
	"gitlab.com/wend/wend/remote/audit"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session/tools"
)

// ToolConfig completes a tool registry's configuration from the settings:
// the command sandbox, the paths the tools must not write, and redaction of
// everything the tools return. configFile is the --config file ("" when
// none), protected and hidden like the user's own.
func ToolConfig(s *config.Settings, configFile string, cfg tools.Config) tools.Config {
	cfg.Sandbox = CommandSandbox(s, configFile)
	cfg = protect(s, configFile, cfg)
	return redacting(s, cfg)
}

// redacting makes a tool registry mask secrets in everything its tools return:
// the known shapes (remote/redact) and the exact values of the user's own
// credentials from s, however they were read (environment or file). The GitLab
// client registers the token it finds itself (glab's configuration included).
func redacting(s *config.Settings, cfg tools.Config) tools.Config {
	redact.Register(s.APIKey, s.GitLabToken)
	cfg.Redact = redact.String
	return cfg
}

// protect adds what the tools must never write without an approval naming the
// path, besides every .wend.toml and .git (which the tools know themselves): the
// user's protected_paths, and wend's own config directory and --config file in
// case the repository holds them (a dotfiles repository).
func protect(s *config.Settings, configFile string, cfg tools.Config) tools.Config {
	cfg.ProtectedPaths = s.ProtectedPaths
	cfg.ProtectedDirs = []string{filepath.Dir(config.UserConfigPath()), filepath.Dir(config.TrustStorePath())}
	if configFile != "" {
		if abs, err := filepath.Abs(configFile); err == nil {
			cfg.ProtectedDirs = append(cfg.ProtectedDirs, abs)
		}
	}
	return cfg
}

// CommandSandbox is the sandbox the settings describe, nil when it is off:
// run_command (and through it the Duo engine's commands) runs isolated unless
// the user set sandbox = "off" (internal/sandbox). Besides the built-in list
// (~/.ssh, ~/.gnupg, ~/.aws, ~/.config/wend, …) it hides wend's own key and
// token files, the --config file, the audit log and the user's
// sandbox_deny_read paths. Commands may write the repository, $TMPDIR, the
// build caches and the user's sandbox_writable directories. The init is wend
// itself (main.go).
func CommandSandbox(s *config.Settings, configFile string) *sandbox.Sandbox {
	if s.Sandbox == "off" {
		return nil
	}
	deny := []string{filepath.Dir(config.UserConfigPath()), filepath.Dir(config.TrustStorePath())}
	deny = append(deny, s.SecretFiles...)
	if configFile != "" {
		if abs, err := filepath.Abs(configFile); err == nil {
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

// firstLine is s's first line, for a tool's one-line summary.
func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
