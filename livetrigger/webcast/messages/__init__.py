"""One module per theme of WebCast message, each turning its messages into events; the table
of which method goes where is ``registry.MESSAGES``, the loop that runs them ``webcast.decode``."""
