"""The WebCast push protocol: codec (frames), decoder (events), session and connection."""
