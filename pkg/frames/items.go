package frames

import "github.com/grafana/grafana-plugin-sdk-go/data"

// This file and two beside it are the one reader of the table and frame
// items of a /query answer (table.go reads a table's columns and rows,
// framefields.go a frame's fields), whoever reads them: a panel's query
// (Decode, which types the cells into fields as they stream) and an
// annotation query or the frames among variable options (ItemReader,
// which keeps each cell's JSON for readers that give cells their own
// meaning). The shapes it reads:
//
//   - a table: {"columns": [{"text", "type"} or a name], "rows": [[cells]]};
//   - a frame: {"fields": [{"name", "type", "labels", "values"}]};
//   - a frame in Grafana's own JSON: {"schema": {"name", "fields": [{"name",
//     "type", "labels"}]}, "data": {"values": [[cells]]}}.
//
// Keys come in any order, so an item's shape is known when it ends.

// rawItem is what an element of the top-level array held, kept until the
// object ends and says which shape it is.
type rawItem struct {
	name, typ string
	tags      data.Labels
	hasPoints bool
	hasTable  bool
	table     tableReader
	hasFields bool
	fields    []rawField
	// Grafana's form: the fields as "schema" declares them, and the
	// columns of "data", joined by frameFields when the item ends.
	hasSchema bool
	schema    []rawField
	data      []cellColumn
}

// member reads the item's member called name if it is one of a series, a
// table or a frame; handled is false for any other, left unread.
func (d *decoder) member(it *rawItem, name string) (handled bool, err error) {
	switch name {
	case "target", "name":
		it.name, err = d.text()
	case "tags":
		it.tags, err = d.labels()
	case "datapoints":
		it.hasPoints = true
		if d.raw {
			// A series is not what an ItemReader's caller reads.
			err = ioOrSyntax(d.scan.SkipValue())
		} else {
			err = d.datapoints()
		}
	case "type":
		it.typ, err = d.text()
	case "columns":
		it.hasTable = true
		err = it.table.readColumns(d)
	case "rows":
		it.hasTable = true
		err = it.table.readRows(d)
	case "fields":
		it.hasFields = true
		it.fields, err = d.dataFields()
	case "schema":
		it.hasSchema = true
		err = d.schema(it)
	case "data":
		it.hasSchema = true
		it.data, err = d.frameData()
	default:
		return false, nil
	}
	return true, err
}

// members reads an item's members, up to and with the closing '}', after
// its '{': a series', table's or frame's into it, any other to other
// (which reads its value and returns true) or else skipped. A failed
// member's error comes with its name; a failure between members, with "".
func (d *decoder) members(it *rawItem, other func(name string) (bool, error)) (string, error) {
	for d.peek() != '}' {
		tok, err := d.scan.ReadToken()
		if err != nil {
			return "", ioOrSyntax(err)
		}
		name := tok.String()
		handled, err := d.member(it, name)
		if !handled && other != nil {
			handled, err = other(name)
		}
		if !handled {
			err = ioOrSyntax(d.scan.SkipValue())
		}
		if err != nil {
			return name, err
		}
	}
	_, err := d.scan.ReadToken()
	return "", ioOrSyntax(err)
}

// isTable and isFrame tell an item's shape once it has ended.
func (it *rawItem) isTable() bool { return it.hasTable || it.typ == "table" }
func (it *rawItem) isFrame() bool { return it.hasFields || it.hasSchema }
