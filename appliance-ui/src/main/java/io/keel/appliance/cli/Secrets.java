package io.keel.appliance.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads passwords and CHAP secrets from files or the terminal, never from arguments: an argument
 * is visible to every user of the machine in {@code ps} and lands in shell history.
 */
final class Secrets {

    private Secrets() {
    }

    /** The contents of {@code file} without its trailing line break; {@code what} names it in errors. */
    static String readFile(final Path file, final String what) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException missing) {
            throw new CliException("cannot read the " + what + " file " + file + ": it does not exist",
                    CliException.FAILED);
        } catch (IOException | RuntimeException unreadable) {
            throw new CliException("cannot read the " + what + " file " + file + ": " + unreadable.getMessage(),
                    CliException.FAILED);
        }
        // Files written with echo or an editor end in a newline that is not part of the secret.
        if (text.endsWith("\n")) {
            text = text.substring(0, text.length() - 1);
            if (text.endsWith("\r")) {
                text = text.substring(0, text.length() - 1);
            }
        }
        if (text.isEmpty()) {
            throw new CliException("the " + what + " file " + file + " is empty", CliException.FAILED);
        }
        return text;
    }

    /**
     * Asks for a secret on the terminal; with {@code confirm}, asks twice so that a typo does not
     * become a secret nobody knows. Returns null when there is no terminal.
     */
    static String prompt(final CliEnvironment env, final String label, final boolean confirm) {
        char[] first = env.prompt().read(label + ": ");
        if (first == null) {
            return null;
        }
        try {
            if (first.length == 0) {
                throw new CliException("no " + label + " given", CliException.FAILED);
            }
            if (confirm) {
                char[] second = env.prompt().read(label + " (again): ");
                try {
                    if (second == null || !Arrays.equals(first, second)) {
                        throw new CliException("the two " + label + " entries differ", CliException.FAILED);
                    }
                } finally {
                    if (second != null) {
                        Arrays.fill(second, '\0');
                    }
                }
            }
            return new String(first);
        } finally {
            Arrays.fill(first, '\0');
        }
    }
}
