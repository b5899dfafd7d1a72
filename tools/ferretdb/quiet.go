package main

import (
	"context"
	"log/slog"
	"strings"
)

// quietHandler passes FerretDB's log records on, but for its dumps of a command's request and
// error response (a client's doing, such as a duplicate key, or a command FerretDB lacks, such as
// the endSessions every client sends when it closes a connection): FerretDB writes them at warn,
// many lines each, and an operator can do nothing about them. They are debug here.
type quietHandler struct{ slog.Handler }

func (h quietHandler) Handle(ctx context.Context, record slog.Record) error {
	if record.Level == slog.LevelWarn && isDump(record.Message) {
		if !h.Handler.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		record.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, record)
}

func (h quietHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(attrs)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}

func isDump(message string) bool {
	for _, prefix := range []string{"Request header", "Request message", "Response header", "Response message"} {
		if strings.HasPrefix(message, prefix) {
			return true
		}
	}
	return false
}
