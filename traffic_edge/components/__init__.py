"""One ComponentResource per concern, `traffic-edge:<module>:<Class>`; each takes its own small typed args."""
