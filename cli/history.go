package cli

import "gitlab.com/wend/wend/ui"

// pagedFrom gives the UI the session's record to page its transcript from
// (ui.Options.History: the window of entries stays bounded however long the
// session); the function returned closes it.
func pagedFrom(ls *liveSession, opts *ui.Options) func() {
	if ls.writer == nil {
		return func() {}
	}
	p, err := ls.writer.Pager()
	if err != nil {
		return func() {} // the transcript then keeps its newest entries only
	}
	opts.History = p
	return func() { p.Close() }
}
