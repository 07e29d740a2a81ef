package io.flinkrecurrent.io;

/**
 * One input event of the JSON Lines format: {@code {"key":"acct-17","seq":0,"input":[...],"reset":false}}.
 *
 * @param seq   the event's own sequence number, or -1 when the line has none
 * @param reset true: the key's state is zeroed before this event is applied
 */
public record Event(String key, long seq, float[] input, boolean reset) {}
