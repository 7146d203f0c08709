"""The site's request handlers, thin: parse, call the data layer, record the event, answer."""
