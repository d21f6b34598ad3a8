"""Small helpers for text and values: MQTT topic levels, URL parts and headers, printable viewer
text, usernames as people paste them, network failures in words, near-miss suggestions."""
