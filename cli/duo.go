package cli

import (
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"gitlab.com/wend/wend/remote/duo"
)

// Duo's settings. The flags are registered on the root command by addDuoFlags;
// WEND_DUO_FLOW and WEND_DUO_TRANSPORT are read when a flag is not given.
const (
	defaultDuoFlow      = duo.DefinitionSoftwareDevelopment
	defaultDuoTransport = "websocket"
)

// duoFlagValues holds the flag values of each invocation (globals is per run).
var duoFlagValues sync.Map // *globals → *duoFlags

type duoFlags struct {
	flow, transport string
	set             func(name string) bool
}

// addDuoFlags registers --flow and --duo-transport. Call it from newRoot with the
// root's persistent flag set.
func addDuoFlags(g *globals, f *pflag.FlagSet) {
	df := &duoFlags{}
	f.StringVar(&df.flow, "flow", defaultDuoFlow, "GitLab Duo flow for --provider gitlab-duo: software_development, chat or developer/v1")
	f.StringVar(&df.transport, "duo-transport", defaultDuoTransport, "how --provider gitlab-duo reaches the service: websocket (through GitLab) or grpc (direct_access)")
	df.set = func(name string) bool { return f.Changed(name) }
	duoFlagValues.Store(g, df)
}

// duoSettings returns the flow and transport: a flag the user set, else the
// environment, else the default. Both are validated.
func duoSettings(g *globals) (flow, transport string, err error) {
	flow, transport = defaultDuoFlow, defaultDuoTransport
	if v := g.env("WEND_DUO_FLOW"); v != "" {
		flow = v
	}
	if v := g.env("WEND_DUO_TRANSPORT"); v != "" {
		transport = v
	}
	if v, ok := duoFlagValues.Load(g); ok {
		df := v.(*duoFlags)
		if df.set("flow") {
			flow = df.flow
		}
		if df.set("duo-transport") {
			transport = df.transport
		}
	}
	switch flow {
	case duo.DefinitionSoftwareDevelopment, duo.DefinitionChat, duo.DefinitionConvertToGitLabCI, duo.DefinitionIssueToMR:
	default:
		if name, schema, ok := strings.Cut(flow, "/"); !ok || name == "" || schema == "" || strings.ContainsAny(flow, " \t") {
			return "", "", usageErr("unknown --flow %q (use software_development, chat, or a flow-registry name/schema such as developer/v1)", flow)
		}
	}
	if transport != "websocket" && transport != "grpc" {
		return "", "", usageErr("unknown --duo-transport %q (use websocket or grpc)", transport)
	}
	return flow, transport, nil
}
