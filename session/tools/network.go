package tools

import (
	"encoding/json"

	"gitlab.com/wend/wend/internal/sandbox"
	"gitlab.com/wend/wend/session"
)

// A sandboxed command has no network (loopback only). run_command's network
// argument asks to keep the host's network for one command: its Effect is then
// EffectNetwork, which every approval policy but read-only asks about, one call
// at a time, with a request that names the command; no step or prefix grant
// covers it and approving it grants nothing further (steer.Controls.Approve).
// Execute trusts that judgement, as it does for protected writes: the engine
// judges Effect before it runs any call.

// asksForNetwork reports whether call is a run_command that sets network and
// would otherwise have none: a sandbox that works here and cuts the network.
// Without a sandbox (off, or unavailable and not required) the command has
// the network anyway, and the argument changes nothing.
func (r *Registry) asksForNetwork(call Call) bool {
	var a struct {
		Network bool `json:"network"`
	}
	if json.Unmarshal(call.Args, &a) != nil || !a.Network {
		return false
	}
	sb := r.cfg.Sandbox
	return sb != nil && !sb.Network && sb.Available() == nil
}

// describeNetwork words req, already describing a run_command, as a request
// for network access: no prefix (nothing is remembered), and the limits the
// command keeps once it has the network.
func (r *Registry) describeNetwork(req *session.ApprovalRequest) {
	req.Prefix = ""
	req.Detail = "This command asks for network access: " + req.Detail +
		" (runs sandboxed WITH the network: " + r.cfg.Sandbox.LimitsFor(sandbox.Options{Network: true}) + ")"
}
