__version__ = '2.1.2+cu121'
debug = False
cuda = '12.1'
git_version = 'a8e7c98cb95ff97bb30a728c6b2a1ce6bff946eb'
hip = None
