package cli

import (
	"context"
	"slices"
	"strings"

	"gitlab.com/wend/wend/session"
)

// minHunkPrefix is the shortest hunk id prefix the decision verbs accept. Hunk
// ids are 12 hex digits; people copy the first few, as they do git hashes.
const minHunkPrefix = 4

// expandHunkIDs replaces each target that is a unique prefix (at least
// minHunkPrefix hex digits) of a hunk id the action can apply to with the full
// id. Paths, "all", full ids and unknown words pass unchanged (the decision
// reports those itself). A prefix that fits several hunks is refused with the
// candidates. only, when set, restricts the search to that session.
func expandHunkIDs(all []waitingSession, only string, action session.ReviewAction, targets []string) ([]string, error) {
	var ids []string
	isPath := map[string]bool{}
	for _, w := range all {
		if only != "" && w.sum.ID != only {
			continue
		}
		if action == session.ReviewUndo {
			for _, d := range w.decided {
				isPath[d.Path] = true
				ids = append(ids, d.HunkIDs...)
			}
			continue
		}
		for _, fc := range w.changes {
			isPath[fc.Path], isPath[fc.OldPath] = true, true
			for _, h := range fc.Hunks {
				ids = append(ids, h.ID)
			}
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make([]string, len(targets))
	for i, t := range targets {
		out[i] = t
		if isPath[t] || !maybeHunkPrefix(t) || slices.Contains(ids, t) {
			continue
		}
		var fits []string
		for _, id := range ids {
			if strings.HasPrefix(id, strings.ToLower(t)) {
				fits = append(fits, id)
			}
		}
		switch len(fits) {
		case 0:
		case 1:
			out[i] = fits[0]
		default:
			return nil, usageErr("hunk id %s is ambiguous: it begins %s; give more characters", t, strings.Join(fits, ", "))
		}
	}
	return out, nil
}

// resolveHunkIDs is expandHunkIDs over this repository's stored sessions; it
// reads them only when a target can be a shortened id.
func resolveHunkIDs(ctx context.Context, open workspaceOpener, only string, action session.ReviewAction, targets []string) ([]string, error) {
	if !slices.ContainsFunc(targets, maybeHunkPrefix) {
		return targets, nil
	}
	all, _, err := scanSessions(ctx, open)
	if err != nil {
		return nil, err
	}
	return expandHunkIDs(all, only, action, targets)
}

// maybeHunkPrefix reports a word that could be a shortened hunk id.
func maybeHunkPrefix(t string) bool {
	if len(t) < minHunkPrefix || len(t) >= 12 {
		return false
	}
	return strings.Trim(strings.ToLower(t), "0123456789abcdef") == ""
}
