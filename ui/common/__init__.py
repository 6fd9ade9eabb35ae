"""Building blocks several desktop pages share (state words and colours, …)."""
