package cli

import (
	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/ui"
)

// pagedFrom gives the UI the session's record to page its transcript from
// (ui.Options.History: the window of entries stays bounded however long the
// session); the function returned closes it.
func pagedFrom(ls *assemble.Session, opts *ui.Options) func() {
	p, err := ls.Pager()
	if err != nil || p == nil {
		return func() {} // the transcript then keeps its newest entries only
	}
	opts.History = p
	return func() { p.Close() }
}
