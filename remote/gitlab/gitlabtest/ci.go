package gitlabtest

import (
	"slices"
	"strings"
)

// hasLabels reports whether an issue carries every label of a labels
// parameter ("bug,wend": a comma-separated list, all required, as GitLab's
// issues API filters).
func hasLabels(have []string, param string) bool {
	for _, want := range strings.Split(param, ",") {
		if want = strings.TrimSpace(want); want != "" && !slices.Contains(have, want) {
			return false
		}
	}
	return true
}
