package frames

import (
	"errors"
	"fmt"
	"io"

	"github.com/inhouse-metrics/inhouse-metrics-datasource/pkg/jsonscan"
)

// DecodeError is an answer that is not valid for the contract: malformed
// JSON, a wrong shape or a wrong value type. Its message names where.
type DecodeError struct {
	Where string
	Err   error
}

func (e *DecodeError) Error() string {
	if e.Where == "" {
		return e.Err.Error()
	}
	return e.Where + ": " + e.Err.Error()
}

func (e *DecodeError) Unwrap() error { return e.Err }

// ErrTruncated reports an answer that ended in the middle of its JSON.
var ErrTruncated = errors.New("the answer ended before its JSON was complete (truncated body)")

// ioOrSyntax keeps I/O errors (size limit, timeout, reset) matchable with
// errors.Is and turns the rest into plain "malformed JSON" errors.
func ioOrSyntax(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return ErrTruncated
	case isSyntax(err):
		return &malformedError{err}
	}
	var unwrapper interface{ Unwrap() error }
	if errors.As(err, &unwrapper) && unwrapper.Unwrap() != nil {
		return unwrapper.Unwrap()
	}
	return err
}

// isSyntax reports whether err is malformed JSON rather than a failed read.
// malformedError is JSON that does not parse. It keeps no chain to the
// scanner's error, so reading it through ioOrSyntax again keeps it as is.
type malformedError struct{ err error }

func (e *malformedError) Error() string { return "malformed JSON " + e.err.Error() }

// IsMalformed tells an error of JSON that does not parse from one of a
// shape or a value the contract does not allow.
func IsMalformed(err error) bool {
	var m *malformedError
	return errors.As(err, &m)
}

func isSyntax(err error) bool {
	var se *jsonscan.SyntaxError
	return errors.As(err, &se)
}

// headRecorder keeps the first bytes of the body for error messages about
// answers that are not JSON at all: the 60 quoted, and room past them for a
// secret that starts inside them to be scrubbed whole.
type headRecorder struct {
	r    io.Reader
	head []byte
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := 60 + 4<<10 - len(h.head); room > 0 && n > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	return n, err
}

// kindName names what a token of kind k starts; no token is JSON the
// scanner could not read.
func kindName(k jsonscan.Kind) string {
	if n := k.Noun(); n != "" {
		return n
	}
	return "invalid JSON"
}

// describe names a decoded cell and its value, for "want ..., got ...".
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "the string " + jsonscan.QuoteShort(x)
	case float64:
		return "the number " + cellText(x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
