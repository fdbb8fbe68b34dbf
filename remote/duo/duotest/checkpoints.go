package duotest

import (
	"encoding/json"
	"fmt"
	"os"

	"gitlab.com/wend/wend/remote/duo/contract"
)

// LoadCheckpoints reads a checkpoint fixture (testdata/duo/checkpoints/*.json):
// NewCheckpoints with channel_values written as JSON rather than as the JSON string
// DWS sends. It returns the checkpoints as DWS sends them, and whether the fixture
// is an incremental ui_chat_log (the client declared incremental_streaming).
func LoadCheckpoints(path string) (incremental bool, cps []*contract.NewCheckpoint, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, nil, err
	}
	var fx struct {
		Incremental bool `json:"incremental"`
		Checkpoints []struct {
			Status        string                              `json:"status"`
			Goal          string                              `json:"goal"`
			Errors        []string                            `json:"errors"`
			ChannelValues json.RawMessage                     `json:"channel_values"`
			Usage         map[string]*contract.TokenBreakdown `json:"agent_context_usage"`
		} `json:"checkpoints"`
	}
	if err := json.Unmarshal(data, &fx); err != nil {
		return false, nil, fmt.Errorf("%s: %w", path, err)
	}
	for _, c := range fx.Checkpoints {
		cps = append(cps, &contract.NewCheckpoint{Status: c.Status, Goal: c.Goal, Errors: c.Errors,
			AgentContextUsage: c.Usage, Checkpoint: `{"channel_values":` + string(c.ChannelValues) + `}`})
	}
	return fx.Incremental, cps, nil
}
