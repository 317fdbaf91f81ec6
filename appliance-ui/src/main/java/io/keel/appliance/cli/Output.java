package io.keel.appliance.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * How results reach the admin: aligned tables for lists, {@code key: value} lines for one object,
 * or with {@code --json} the API's JSON as received (secrets scrubbed should a server ever send one).
 */
final class Output {

    /**
     * One field of a resource as shown to people.
     *
     * @param header  the table header, also the label in {@code show} output
     * @param value   renders the field from the resource's JSON
     * @param right   right-align in tables (numbers and sizes)
     * @param inTable false for fields that only {@code show} prints, to keep tables narrow
     */
    record Column(String header, Function<JsonNode, String> value, boolean right, boolean inTable) {
    }

    private final PrintWriter out;
    private final boolean json;

    Output(final PrintWriter out, final boolean json) {
        this.out = out;
        this.json = json;
    }

    boolean json() {
        return json;
    }

    /** A list: a table, or the JSON array. */
    void list(final JsonNode items, final List<Column> columns) {
        if (json) {
            printJson(items);
            return;
        }
        if (items == null || !items.isArray()) {
            throw new CliException("the server answered with something other than a list", CliException.FAILED);
        }
        List<Column> shown = columns.stream().filter(Column::inTable).toList();
        List<String[]> rows = new ArrayList<>();
        String[] header = new String[shown.size()];
        for (int c = 0; c < shown.size(); c++) {
            header[c] = shown.get(c).header().toUpperCase(Locale.ROOT);
        }
        rows.add(header);
        for (JsonNode item : items) {
            String[] row = new String[shown.size()];
            for (int c = 0; c < shown.size(); c++) {
                row[c] = clean(shown.get(c).value().apply(item));
            }
            rows.add(row);
        }
        int[] widths = new int[shown.size()];
        for (String[] row : rows) {
            for (int c = 0; c < row.length; c++) {
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < shown.size(); c++) {
                if (c > 0) {
                    line.append("  ");
                }
                String cell = rows.get(r)[c];
                String pad = " ".repeat(widths[c] - cell.length());
                line.append(shown.get(c).right() ? pad + cell : cell + pad);
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /** One object: aligned {@code key: value} lines, or its JSON. */
    void show(final JsonNode item, final List<Column> columns) {
        if (json) {
            printJson(item);
            return;
        }
        if (item == null || !item.isObject()) {
            throw new CliException("the server answered with something other than an object", CliException.FAILED);
        }
        int width = columns.stream().mapToInt(c -> c.header().length()).max().orElse(0);
        for (Column column : columns) {
            String label = column.header() + ":";
            out.println((label + " ".repeat(width - column.header().length()) + " "
                    + clean(column.value().apply(item))).stripTrailing());
        }
    }

    /** A confirmation for people; nothing in {@code --json} mode, where an empty answer has no JSON. */
    void message(final String text) {
        if (!json) {
            out.println(text);
        }
    }

    /** The JSON as received, or a confirmation when the answer had no body. */
    void result(final JsonNode body, final List<Column> columns, final String confirmation) {
        if (body == null) {
            message(confirmation);
        } else if (json) {
            printJson(body);
        } else {
            message(confirmation);
            show(body, columns);
        }
    }

    private void printJson(final JsonNode node) {
        if (node == null) {
            return;
        }
        JsonNode copy = node.deepCopy();
        scrub(copy);
        out.println(ApiClient.pretty(copy));
    }

    /** The contract never returns CHAP secrets; this makes sure a faulty server cannot make us print one. */
    private static void scrub(final JsonNode node) {
        if (node instanceof ObjectNode object) {
            Iterator<String> names = object.fieldNames();
            List<String> secret = new ArrayList<>();
            while (names.hasNext()) {
                String name = names.next();
                if (name.toLowerCase(Locale.ROOT).contains("secret")
                        || name.toLowerCase(Locale.ROOT).contains("password")) {
                    secret.add(name);
                }
            }
            object.remove(secret);
        }
        for (JsonNode child : node) {
            scrub(child);
        }
    }

    private static String clean(final String value) {
        if (value == null || value.isEmpty()) {
            return "-";
        }
        // A name with a newline or escape sequence must not be able to forge table rows or move the cursor.
        StringBuilder safe = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            safe.append(Character.isISOControl(c) ? '?' : c);
        }
        return safe.toString();
    }
}
